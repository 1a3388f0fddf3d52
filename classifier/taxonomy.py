"""The label set the classifier is trained on, read from the user's config (never hard-coded)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class TaxonomyError(Exception):
    """The taxonomy is missing or inconsistent; the message is one line for the user."""


@dataclass(frozen=True)
class Taxonomy:
    labels: list[str]
    exclusive_label: str | None

    def __post_init__(self) -> None:
        if not self.labels:
            raise TaxonomyError("the taxonomy has no labels")
        if len(set(self.labels)) != len(self.labels):
            raise TaxonomyError("taxonomy keys must be unique")
        if self.exclusive_label is not None and self.exclusive_label not in self.labels:
            raise TaxonomyError(f"exclusive label {self.exclusive_label!r} is not a taxonomy key")

    @classmethod
    def from_settings(cls, settings: Any) -> Taxonomy:
        """Build from a pantau Settings object (anything with `.taxonomy` items having key/exclusive)."""
        items = list(settings.taxonomy)
        exclusive = [item.key for item in items if getattr(item, "exclusive", False)]
        return cls([item.key for item in items], exclusive[0] if exclusive else None)


def load_taxonomy(config_path: str | Path | None = None) -> Taxonomy:
    """Taxonomy from the shared settings loader, or straight from the YAML file if that is unavailable."""
    try:
        from pantau.core.config import load_settings
    except ImportError:
        load_settings = None
    if load_settings is not None:
        return Taxonomy.from_settings(load_settings(config_path))
    path = Path(config_path) if config_path else Path(__file__).resolve().parent.parent / "config.yaml"
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items = document.get("taxonomy") or []
    if not items:
        raise TaxonomyError(f"{path}: taxonomy: expected a list of labels with 'key'")
    exclusive = [item["key"] for item in items if item.get("exclusive")]
    return Taxonomy([item["key"] for item in items], exclusive[0] if exclusive else None)
