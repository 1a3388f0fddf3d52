"""The bundled demo stream: several hundred Indonesian posts replayed with no network."""

from __future__ import annotations

from collections.abc import Iterator

from pantau.collector.base import Page, SourceContext, SourceError
from pantau.collector.file_import import BadLine, iter_records, record_to_post
from pantau.core.config import DemoSource as DemoSourceSettings
from pantau.core.config import Settings


class DemoSource:
    """Replays data/demo/posts.jsonl; the watermark is the number of lines already delivered."""

    type = "demo"

    def __init__(self, source_settings: DemoSourceSettings, settings: Settings) -> None:
        self.name = source_settings.name
        self.path = settings.path(source_settings.path)
        self.limit = source_settings.max_posts_per_run
        self.tz = settings.tz

    def fetch(self, context: SourceContext) -> Iterator[Page]:
        if not self.path.is_file():
            raise SourceError(f"demo stream {self.path} not found")
        delivered = int(context.watermark or 0)
        batch = []
        line = delivered
        for line, record in iter_records(self.path, "jsonl"):
            if line <= delivered:
                continue
            if isinstance(record, BadLine):
                continue
            batch.append(record_to_post(record, self.tz))
            if self.limit and line - delivered >= self.limit:
                break
            if len(batch) >= 500:
                yield Page(posts=batch, watermark=str(line))
                batch = []
        if batch or line > delivered:
            yield Page(posts=batch, watermark=str(line), final=True)
