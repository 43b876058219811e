"""A base for objects that hold a file or a connection and are used in ``with`` blocks."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Closing:
    """``with Thing(...) as thing:`` closes ``thing`` on the way out, also after an error."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
