"""Build the source object for a configured source type."""

from __future__ import annotations

from pantau.collector.base import Source
from pantau.core.config import Settings, SourceSettings


def build_source(source_settings: SourceSettings, settings: Settings) -> Source:
    if source_settings.type == "demo":
        from pantau.collector.demo import DemoSource

        return DemoSource(source_settings, settings)
    if source_settings.type == "file":
        from pantau.collector.file_import import FileSource

        return FileSource(source_settings, settings)
    if source_settings.type == "x":
        from pantau.collector.x import XSource

        return XSource(source_settings, settings)
    if source_settings.type == "google_play":
        from pantau.collector.google_play import GooglePlaySource

        return GooglePlaySource(source_settings, settings)
    raise ValueError(f"unknown source type {source_settings.type!r}")
