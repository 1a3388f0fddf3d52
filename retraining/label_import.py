"""Read labels made elsewhere (JSONL, a JSON array such as a Label Studio export, CSV/TSV) and validate
them against the taxonomy; every problem names its line (or JSON item) so the file can be fixed."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pantau.core.config import Settings
from pantau.core.timeutil import parse_timestamp

LABEL_FIELDS = ("labels", "label", "choices", "issue_type", "category")
BY_FIELDS = ("labelled_by", "annotator", "completed_by", "triaged_by")
AT_FIELDS = ("labelled_at", "updated_at", "created_at")
TRUTHY = {"1", "x", "y", "yes", "true", "ya", "✓"}


class LabelFileError(Exception):
    """The file as a whole cannot be read; one line for the user."""


@dataclass(slots=True)
class ImportedLabel:
    where: str
    """`file:line` (or `file: item N` for a JSON array), for messages and provenance."""
    text: str | None
    post_id: int | None
    labels: list[str]
    labelled_by: str | None
    labelled_at: datetime | None

    @property
    def primary(self) -> str:
        return self.labels[0]


def _split_labels(value: Any) -> list[str]:
    if isinstance(value, dict):
        value = value.get("choices", value.get("labels"))
    if isinstance(value, str):
        for separator in (";", "|"):
            value = value.replace(separator, ",")
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [str(part).strip() for part in value if str(part).strip()]
    return []


def _label_studio_choices(record: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
    """Choices of the last non-cancelled annotation of a full Label Studio task export."""
    for annotation in reversed(record.get("annotations") or []):
        if not isinstance(annotation, dict) or annotation.get("was_cancelled"):
            continue
        choices = [
            choice
            for result in annotation.get("result") or []
            if isinstance(result, dict) and isinstance(result.get("value"), dict)
            for choice in _split_labels(result["value"].get("choices") or result["value"].get("labels"))
        ]
        return choices, annotation
    return [], {}


class _Normaliser:
    """Turns one record into an ImportedLabel or a problem, with display names mapped to keys."""

    def __init__(self, settings: Settings, default_by: str | None, label_field: str | None) -> None:
        self.keys = settings.label_keys
        self.exclusive = settings.exclusive_label
        self.aliases = {key.lower(): key for key in self.keys}
        self.aliases.update({item.display.lower(): item.key for item in settings.taxonomy})
        self.default_by, self.label_field, self.tz = default_by, label_field, settings.tz

    def labels_of(self, record: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
        if "annotations" in record:
            return _label_studio_choices(record)
        fields = (self.label_field,) if self.label_field else LABEL_FIELDS
        for name in fields:
            if name in record and record[name] not in (None, ""):
                return _split_labels(record[name]), {}
        one_hot = [key for key in self.keys if str(record.get(key, "")).strip().lower() in TRUTHY]
        return one_hot, {}

    def __call__(self, record: Any, where: str) -> ImportedLabel | str:
        if not isinstance(record, dict):
            return "expected an object with text and labels"
        data = record.get("data") if isinstance(record.get("data"), dict) else record
        raw_labels, annotation = self.labels_of(record)
        labels = list(dict.fromkeys(self.aliases.get(label.lower(), label) for label in raw_labels))
        text = data.get("text")
        text = text.strip() if isinstance(text, str) else None
        post_id = _post_id(data.get("post_id", record.get("post_id")))
        if isinstance(post_id, str):
            return post_id
        if not text and post_id is None:
            return "empty text (and no post_id)"
        if not labels:
            return "no labels"
        unknown = [label for label in labels if label not in self.keys]
        if unknown:
            return f"unknown label(s) {', '.join(unknown)} (the taxonomy has {', '.join(self.keys)})"
        if self.exclusive in labels and len(labels) > 1:
            return f"{self.exclusive} cannot be combined with other labels"
        primary = record.get("primary")
        if primary:
            primary = self.aliases.get(str(primary).lower(), str(primary))
            if primary not in labels:
                return f"primary {primary!r} is not among the labels"
            labels = [primary] + [label for label in labels if label != primary]
        by = next((str(source[f]) for source in (record, annotation) for f in BY_FIELDS if source.get(f)), None)
        at = next((source[f] for source in (record, annotation) for f in AT_FIELDS if source.get(f)), None)
        try:
            labelled_at = parse_timestamp(at, self.tz) if at is not None else None
        except ValueError as exc:
            return f"labelled_at: {exc}"
        return ImportedLabel(where, text or None, post_id, labels, by or self.default_by, labelled_at)


def _post_id(value: Any) -> int | str | None:
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        return f"post_id {value!r} is not a number"
    return number if number > 0 else f"post_id {value!r} is not a post id"


def _records(path: Path) -> Iterator[tuple[str, Any]]:
    """(where, record) pairs: JSON arrays by item, JSONL and CSV/TSV by line."""
    try:
        content = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelFileError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    name = path.name
    suffix = path.suffix.lower()
    if suffix in {".csv", ".tsv"} or (suffix == ".txt" and "\t" in content.partition("\n")[0]):
        delimiter = "\t" if suffix == ".tsv" or "\t" in content.partition("\n")[0] else ","
        reader = csv.DictReader(content.splitlines(), delimiter=delimiter)
        if not reader.fieldnames or ("text" not in reader.fieldnames and "post_id" not in reader.fieldnames):
            raise LabelFileError(f"{name}:1: the header needs a `text` (or `post_id`) column and a `labels` column")
        for record in reader:
            yield f"{name}:{reader.line_num}", {k: v for k, v in record.items() if k is not None}
        return
    stripped = content.lstrip()
    if stripped.startswith("["):
        try:
            items = json.loads(content)
        except json.JSONDecodeError as exc:
            raise LabelFileError(f"{name}:{exc.lineno}: invalid JSON ({exc.msg})") from None
        for index, item in enumerate(items, start=1):
            yield f"{name}: item {index}", item
        return
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield f"{name}:{number}", json.loads(line)
        except json.JSONDecodeError as exc:
            yield f"{name}:{number}", f"invalid JSON ({exc.msg})"


def read_label_file(
    path: Path, settings: Settings, *, default_by: str | None = None, label_field: str | None = None
) -> tuple[list[ImportedLabel], list[str]]:
    """Valid labels and `where: problem` lines, in file order."""
    normalise = _Normaliser(settings, default_by, label_field)
    labels: list[ImportedLabel] = []
    problems: list[str] = []
    for where, record in _records(path):
        result = record if isinstance(record, str) else normalise(record, where)
        if isinstance(result, str):
            problems.append(f"{where}: {result}")
        else:
            labels.append(result)
    if not labels and not problems:
        problems.append(f"{path.name}: no rows")
    return labels, problems
