"""config.yaml -> Settings: defaults, validation, and the documented top-level file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from scraper.config import Settings, SiteRules, load_settings, settings_from_mapping
from scraper.errors import ConfigError

CONFIG = Path(__file__).resolve().parents[1] / "config.yaml"


def leaf_keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            keys |= leaf_keys(annotation, f"{prefix}{name}.")
        else:
            keys.add(f"{prefix}{name}")
    return keys


def yaml_keys(data: dict[str, Any], prefix: str = "") -> set[str]:
    keys: set[str] = set()
    for name, value in data.items():
        if isinstance(value, dict) and name != "sites":
            keys |= yaml_keys(value, f"{prefix}{name}.")
        else:
            keys.add(f"{prefix}{name}")
    return keys


def test_shipped_config_documents_every_key_with_its_default() -> None:
    data = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
    assert yaml_keys(data) == leaf_keys(Settings)
    shipped = load_settings(CONFIG)
    assert shipped.model_dump(exclude={"sites"}) == Settings().model_dump(exclude={"sites"})


def test_shipped_config_site_example_is_valid() -> None:
    shipped = load_settings(CONFIG)
    assert shipped.sites, "config.yaml should show a per-site rules example"


def test_no_file_means_defaults() -> None:
    assert load_settings(None) == Settings()


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"fetch": {"timeout": 3}}, "fetch.timeout"),
        ({"fetch": {"max_redirects": -1}}, "fetch.max_redirects"),
        ({"write": {"formats": ["pdf"]}}, "write.formats"),
        ({"sites": {"a.example": {"remove": 5}}}, "sites.a.example.remove"),
        ({"crawl_speed": "fast"}, "crawl_speed"),
    ],
)
def test_invalid_config_names_the_key(raw: dict[str, Any], key: str) -> None:
    with pytest.raises(ConfigError) as info:
        settings_from_mapping(raw)
    assert key in str(info.value)


def test_yaml_syntax_error_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("fetch: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_settings(path)


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_settings(path)


def test_site_rules_match_subdomains_not_lookalikes() -> None:
    settings = settings_from_mapping({"sites": {"news.example": {"remove": [".promo"]}}})
    assert settings.site_rules("www.news.example") == settings.sites["news.example"]
    assert settings.site_rules("NEWS.EXAMPLE.") == settings.sites["news.example"]
    assert settings.site_rules("othernews.example") is None


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(ValueError, match="frozen"):
        settings.fetch.max_redirects = 9  # type: ignore[misc]


def test_readme_documents_every_key() -> None:
    readme = (CONFIG.parent / "README.md").read_text(encoding="utf-8")
    for key in leaf_keys(Settings) - {"sites"}:
        assert f"`{key}`" in readme, key
    for key in leaf_keys(SiteRules):
        assert f"`sites.DOMAIN.{key}`" in readme, key
