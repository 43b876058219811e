"""scraper._lazy: a package's names imported on first use, then kept."""

from __future__ import annotations

import pytest

from scraper._lazy import lazy_names


def test_a_name_is_imported_on_first_use_and_kept() -> None:
    namespace: dict[str, object] = {}
    getattr_ = lazy_names("pkg", {"dedent": "textwrap"}, namespace)

    import textwrap

    assert getattr_("dedent") is textwrap.dedent
    assert namespace == {"dedent": textwrap.dedent}  # the next lookup finds it without a call


def test_an_unknown_name_is_an_attribute_error_naming_the_package() -> None:
    getattr_ = lazy_names("pkg", {"dedent": "textwrap"}, {})
    with pytest.raises(AttributeError, match="module 'pkg' has no attribute 'indent'"):
        getattr_("indent")
