"""The configured taxonomy in the shape triage validation needs."""

from __future__ import annotations

from pantau.core.config import Settings
from pantau.storage.triage import Taxonomy


def taxonomy_of(settings: Settings) -> Taxonomy:
    return Taxonomy(keys=tuple(settings.label_keys), exclusive=settings.exclusive_label)
