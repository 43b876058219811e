"""Rejoin an article body that the page split into several containers.

Many sites cut the body into chunks (``<div class="article-body">`` x N) with ad slots or
videos between them. Trafilatura takes the first container that looks like a body and so
returns the first chunk only. Moving the paragraphs of the later chunks into the first one
gives it the whole story. This looks at structure only, never at names: chunks are sibling
containers with the same tag and class whose paragraphs together hold most of the page's prose.
"""

from __future__ import annotations

from selectolax.lexbor import LexborNode

_PROSE_CHARS = 80  # a <p> with at least this many characters is prose, not a label
_CHUNKS_SHARE = 0.6  # the chunks must hold this much of the page's prose between them
_ONE_CHUNK_SHARE = 0.85  # ... and no single chunk this much (else nothing is split)


def merge_split_body(root: LexborNode) -> int:
    """Move the content of later body chunks into the first; return how many were merged."""
    prose: dict[int, int] = {}
    parents: dict[int, LexborNode] = {}
    for p in root.css("p"):
        size = len(p.text(strip=True))
        parent = p.parent
        if size >= _PROSE_CHARS and parent is not None:
            prose[parent.mem_id] = prose.get(parent.mem_id, 0) + size
            parents.setdefault(parent.mem_id, parent)
    total = sum(prose.values())
    if not total or max(prose.values()) >= _ONE_CHUNK_SHARE * total:
        return 0
    chunks = _best_chunks(list(parents.values()), prose, total)
    if len(chunks) < 2:
        return 0
    # Unwrap each chunk and its own wrappers (a live blog's <article> per entry), up to the
    # element they share, so the paragraphs end up side by side, in page order.
    common = _common_ancestor(chunks)
    unwrapped: set[int] = set()
    for chunk in chunks:
        node: LexborNode | None = chunk
        while node is not None and common is not None and node.mem_id != common.mem_id:
            parent = node.parent
            if node.mem_id not in unwrapped:
                unwrapped.add(node.mem_id)
                node.unwrap()
            node = parent
    return len(chunks)


def _best_chunks(nodes: list[LexborNode], prose: dict[int, int], total: int) -> list[LexborNode]:
    """The biggest group of same-tag, same-class containers that holds most of the prose."""
    groups: dict[tuple[str, str], list[LexborNode]] = {}
    for node in nodes:
        cls = node.attributes.get("class") or ""
        if cls:
            groups.setdefault((node.tag or "", cls), []).append(node)
    best: list[LexborNode] = []
    best_prose = 0
    for group in groups.values():
        size = sum(prose[n.mem_id] for n in group)
        if len(group) >= 2 and size > best_prose:
            best, best_prose = group, size
    if best_prose < _CHUNKS_SHARE * total or _nested(best):
        return []
    return best


def _common_ancestor(nodes: list[LexborNode]) -> LexborNode | None:
    """The deepest element that contains all ``nodes``."""
    chain: list[LexborNode] = []
    parent = nodes[0].parent
    while parent is not None:
        chain.append(parent)
        parent = parent.parent
    depth = {n.mem_id: i for i, n in enumerate(chain)}
    deepest = 0
    for node in nodes[1:]:
        parent = node.parent
        while parent is not None and parent.mem_id not in depth:
            parent = parent.parent
        if parent is None:
            return None
        deepest = max(deepest, depth[parent.mem_id])
    return chain[deepest] if chain else None


def _nested(nodes: list[LexborNode]) -> bool:
    """Whether one node lies inside another (then they are not chunks side by side)."""
    ids = {n.mem_id for n in nodes}
    for node in nodes:
        parent = node.parent
        while parent is not None:
            if parent.mem_id in ids:
                return True
            parent = parent.parent
    return False
