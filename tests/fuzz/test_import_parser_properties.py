"""The import parser on hostile files: never crashes, names every bad line by number, keeps every good line.

Files are assembled from good records and bad lines (arbitrary bytes, Latin-1 and UTF-16 text, JSON that
is not an object, records missing fields, lines over the size limit), with or without a BOM, with LF
or CRLF endings, and run through the import's own parse-and-prepare path (no database needed).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pantau.collector.file_import import MAX_LINE_BYTES, BadLine, iter_records
from pantau.pipeline.import_workers import ChunkOptions, prepared_chunks

OPTIONS = ChunkOptions(source="fuzz", timezone="Asia/Jakarta", keep_original_text=True)
HUGE = b'{"id": "huge", "text": "' + b"a" * (MAX_LINE_BYTES + 10) + b'", "created_at": "2026-11-12T10:00:00"}'

good_records = st.builds(
    lambda text, minute: {"text": text or "kosong", "created_at": f"2026-11-12T10:{minute:02d}:00+07:00"},
    st.text(min_size=1, max_size=60),
    st.integers(0, 59),
)
bad_lines = st.one_of(
    # A UTF-8 mark and nothing else is a blank line once the mark is read (on line 1), not a bad one.
    st.binary(min_size=1, max_size=80).filter(
        lambda data: b"\n" not in data and b"\r" not in data and data.removeprefix(b"\xef\xbb\xbf").strip()
    ),
    st.text(min_size=1, max_size=40).map(lambda text: json.dumps({"text": "é" + text}).encode("latin-1", "replace")),
    st.just('{"id": "u16", "text": "teks", "created_at": "2026-11-12"}'.encode("utf-16-le")),
    st.just(b"[1, 2, 3]"),
    st.just(b'"just a string"'),
    st.just(b'{"id": "no-text", "created_at": "2026-11-12"}'),
    st.just(b'{"id": "bad-time", "text": "x", "created_at": "kemarin sore"}'),
    st.just(HUGE),
)
lines = st.lists(st.one_of(good_records, bad_lines), min_size=1, max_size=25)


SCRATCH = tempfile.TemporaryDirectory(prefix="pantau-fuzz-")
"""One directory for every generated file (each example overwrites the last); removed at exit."""


def scratch(name: str) -> Path:
    return Path(SCRATCH.name) / name


def write(lines: list[dict | bytes], *, bom: bool, crlf: bool) -> tuple[Path, set[int], set[int]]:
    """The file, the line numbers of good records and of bad lines."""
    good, bad, chunks = set(), set(), []
    for number, item in enumerate(lines, start=1):
        if isinstance(item, dict):
            item = json.dumps({"id": f"line-{number}", **item}, ensure_ascii=False).encode("utf-8")
            good.add(number)
        else:
            bad.add(number)
        chunks.append(item)
    ending = b"\r\n" if crlf else b"\n"
    path = scratch("posts.jsonl")
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + ending.join(chunks) + ending)
    return path, good, bad


def parse(path: Path) -> tuple[list[dict], list[BadLine]]:
    rows, bad = [], []
    for chunk in prepared_chunks(path, OPTIONS, chunk_lines=7, workers=0):
        rows += chunk.page.rows
        bad += chunk.bad_lines
    return rows, bad


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(lines, st.booleans(), st.booleans())
def test_good_lines_are_kept_and_each_bad_line_is_named_once(items: list, bom: bool, crlf: bool) -> None:
    path, good, bad = write(items, bom=bom, crlf=crlf)
    rows, bad_lines = parse(path)
    assert {int(row["external_id"].split("-")[1]) for row in rows} == good
    assert sorted(line.line for line in bad_lines) == sorted(bad)
    assert all(line.reason and "\n" not in line.reason for line in bad_lines)
    if HUGE in items:
        assert any(f"longer than {MAX_LINE_BYTES}" in line.reason for line in bad_lines)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400), st.sampled_from(["jsonl", "csv"]))
def test_arbitrary_bytes_never_crash_the_parser(data: bytes, file_format: str) -> None:
    path = scratch(f"posts.{file_format}")
    path.write_bytes(data)
    for number, record in iter_records(path, file_format):
        assert number >= 1
        assert isinstance(record, dict | BadLine)
    _, bad_lines = parse(path)
    assert all(line.line >= 1 for line in bad_lines)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_a_utf16_or_utf32_file_is_named_as_such_in_one_line(encoding: str, suffix: str) -> None:
    text = '{"id": "1", "text": "gak bisa login", "created_at": "2026-11-12T10:00:00"}\n' * 3
    path = scratch(f"posts-{encoding}.{suffix}")
    path.write_bytes(text.encode(encoding))
    rows, bad_lines = parse(path)
    assert rows == [] and len(bad_lines) == 1
    assert bad_lines[0].reason == f"the file is {encoding.upper()}; save it as UTF-8 and import it again"
