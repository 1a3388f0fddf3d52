"""Stream JSONL or CSV files into posts: bad lines are reported by number and skipped."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

from pantau.collector.base import Page, RawPost, SourceContext, SourceError
from pantau.core.config import FileSource as FileSourceSettings
from pantau.core.config import Settings
from pantau.core.timeutil import parse_timestamp

KNOWN_FIELDS = frozenset(("id", "text", "created_at", "author", "author_name", "url", "lang"))
OPTIONAL_FIELDS = ("author", "author_name", "url", "lang")
MAX_LINE_BYTES = 1_000_000
csv.field_size_limit(sys.maxsize)


@dataclass(slots=True)
class BadLine:
    line: int
    reason: str


def detect_format(path: Path, declared: str = "auto") -> str:
    if declared != "auto":
        return declared
    suffix = path.suffix.lower()
    if suffix in {".jsonl", ".ndjson", ".json"}:
        return "jsonl"
    if suffix in {".csv", ".tsv"}:
        return "csv"
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf").lstrip()
    return "jsonl" if head.startswith(b"{") else "csv"


def record_to_post(record: dict[str, Any], default_tz: ZoneInfo) -> RawPost:
    """Validate one record; unknown fields are kept in raw. Raises ValueError naming the problem."""
    get = record.get
    external_id, text, created_at = get("id"), get("text"), get("created_at")
    if external_id in (None, "") or text in (None, "") or created_at in (None, ""):
        missing = [name for name in ("id", "text", "created_at") if get(name) in (None, "")]
        raise ValueError(f"missing {', '.join(missing)}")
    if not isinstance(text, str):
        raise ValueError("text must be a string")
    if isinstance(external_id, bool) or not isinstance(external_id, str | int):
        raise ValueError("id must be a string or an integer")
    external_id = str(external_id)
    if len(external_id) > 128:
        raise ValueError("id longer than 128 characters")
    author, author_name, url, lang = [_optional(get(name)) for name in OPTIONAL_FIELDS]
    return RawPost(
        external_id=external_id.strip(),
        text=text,
        created_at=parse_timestamp(created_at, default_tz),
        author=author,
        author_name=author_name,
        url=url,
        lang=lang,
        raw={key: value for key, value in record.items() if key not in KNOWN_FIELDS},
    )


def _optional(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        value = str(value)
    return value or None


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not valid UTF-8 (byte {exc.start})") from None


def parse_jsonl_line(number: int, data: bytes) -> dict[str, Any] | BadLine | None:
    """One JSONL line as a record, a BadLine naming the problem, or None when blank."""
    if number == 1 and data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if len(data) > MAX_LINE_BYTES:
        return BadLine(number, f"line longer than {MAX_LINE_BYTES} bytes")
    if not data.strip():
        return None
    try:
        record = json.loads(_decode(data))
    except ValueError as exc:
        reason = str(exc) if "UTF-8" in str(exc) else f"invalid JSON: {str(exc).split(':')[0]}"
        return BadLine(number, reason)
    if not isinstance(record, dict):
        return BadLine(number, "expected a JSON object")
    return record


def _iter_jsonl(handle: BinaryIO) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    for number, data in enumerate(handle, start=1):
        record = parse_jsonl_line(number, data)
        if record is not None:
            yield number, record


def _iter_csv(handle: BinaryIO, delimiter: str) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", errors="strict", newline="")
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        return
    except UnicodeDecodeError:
        yield 1, BadLine(1, "header is not valid UTF-8")
        return
    while True:
        line = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            yield line, BadLine(line, "not valid UTF-8; the rest of the file cannot be read reliably")
            return
        except csv.Error as exc:
            yield line, BadLine(line, f"invalid CSV: {exc}")
            continue
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield line, BadLine(line, f"expected {len(header)} columns, found {len(row)}")
            continue
        if any(len(cell) > MAX_LINE_BYTES for cell in row):
            yield line, BadLine(line, f"cell longer than {MAX_LINE_BYTES} characters")
            continue
        yield line, dict(zip(header, row, strict=True))


def iter_records(path: Path, file_format: str = "auto") -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """(line number, record or BadLine) for every record in the file, streamed."""
    for number, item in iter_raw_records(path, file_format):
        record = parse_jsonl_line(number, item) if isinstance(item, bytes) else item
        if record is not None:
            yield number, record


def _wide_encoding(head: bytes) -> str | None:
    """UTF-16 or UTF-32 named by a byte-order mark (Excel's "Unicode text" export), else None.

    The mark must be followed by the NUL bytes such text is full of, so a first line of stray bytes that
    merely starts like a mark is reported as one bad line, not taken for the whole file's encoding.
    """
    body = head[4:] if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")) else head[2:]
    wide_text = len(body) >= 2 and body.count(0) * 3 >= len(body)
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")) and (wide_text or len(body) < 2):
        return "UTF-32"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) and (wide_text or len(body) < 2):
        return "UTF-16"
    return None


def iter_raw_records(path: Path, file_format: str = "auto") -> Iterator[tuple[int, bytes | dict[str, Any] | BadLine]]:
    """Like iter_records, but JSONL lines stay undecoded bytes (parse_jsonl_line), so other processes can parse them.

    CSV is parsed here: a quoted cell may span lines, so the file cannot be cut at arbitrary newlines.
    """
    chosen = detect_format(path, file_format)
    with path.open("rb") as handle:
        encoding = _wide_encoding(handle.read(256))
        handle.seek(0)
        if encoding:
            yield 1, BadLine(1, f"the file is {encoding}; save it as UTF-8 and import it again")
            return
        if chosen == "jsonl":
            yield from enumerate(handle, start=1)
        else:
            yield from _iter_csv(handle, "\t" if path.suffix.lower() == ".tsv" else ",")


def iter_pages(
    path: Path,
    default_tz: ZoneInfo,
    *,
    file_format: str = "auto",
    page_size: int = 2000,
    bad_lines: list[BadLine] | None = None,
    progress: Any = None,
) -> Iterator[Page]:
    """Pages of valid posts; each bad line is appended to `bad_lines` and skipped."""
    posts: list[RawPost] = []
    for number, record in iter_records(path, file_format):
        if isinstance(record, BadLine):
            if bad_lines is not None:
                bad_lines.append(record)
            continue
        try:
            posts.append(record_to_post(record, default_tz))
        except ValueError as exc:
            if bad_lines is not None:
                bad_lines.append(BadLine(number, str(exc)))
            continue
        if len(posts) >= page_size:
            yield Page(posts=posts)
            posts = []
            if progress is not None:
                progress(number)
    if posts:
        yield Page(posts=posts, final=True)


class FileSource:
    """A file configured as a source (`type: file`); re-reading it stores nothing twice."""

    type = "file"

    def __init__(self, source_settings: FileSourceSettings, settings: Settings) -> None:
        self.name = source_settings.name
        self.path = settings.path(source_settings.path)
        self.format = source_settings.format
        self.tz = settings.tz

    def fetch(self, context: SourceContext) -> Iterator[Page]:
        if not self.path.is_file():
            raise SourceError(f"file {self.path} not found")
        yield from iter_pages(self.path, self.tz, file_format=self.format)
