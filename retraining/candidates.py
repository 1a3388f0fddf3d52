"""Model directories in the registry: register a trained candidate, and the shipped model on first use."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlmodel import Session

from pantau.classifier.model import ModelLoadError, read_metadata
from pantau.core.config import Settings
from pantau.storage.models import ModelVersion
from pantau.storage.registry import current_model, get_model, make_current, register_model

PARAM_KEYS = ("labels", "exclusive_label", "thresholds", "temperature", "review_threshold", "max_length",
              "architecture", "parameters", "weights_sha256")  # fmt: skip


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def register_model_dir(
    session: Session, model_dir: Path, *, data_path: Path | None = None, notes: str | None = None
) -> tuple[ModelVersion, bool]:
    """Record a model directory (metrics, fingerprint, base model, parameters) from its pantau.json.

    Raises ModelLoadError when the directory is not a usable model. Registering twice is harmless.
    """
    directory = model_dir.expanduser().resolve()
    metadata = read_metadata(directory)
    params: dict[str, Any] = {"training": metadata.get("training", {})}
    params.update({key: metadata[key] for key in PARAM_KEYS if key in metadata})
    if data_path is not None and data_path.is_file():
        params["data"] = {"path": str(data_path.resolve()), "sha256": file_sha256(data_path)}
    created = metadata.get("created_at")
    try:
        created_at = datetime.fromisoformat(created) if isinstance(created, str) else None
    except ValueError:
        created_at = None
    return register_model(
        session,
        version=str(metadata.get("version") or directory.name),
        path=str(directory),
        base_model=str(metadata["base_model"]) if metadata.get("base_model") else None,
        metrics=metadata.get("metrics") or {},
        data_fingerprint=metadata.get("data_fingerprint"),
        params=params,
        created_at=created_at,
        notes=notes,
    )


def ensure_current(session: Session, settings: Settings) -> ModelVersion | None:
    """The registry's current model; with none, the configured/shipped model becomes it (None if absent)."""
    current = current_model(session)
    if current is not None:
        return current
    directory = settings.default_model_dir()
    try:
        version = str(read_metadata(directory).get("version") or directory.name)
    except ModelLoadError:
        return None
    row = get_model(session, version)
    if row is None:
        row, _ = register_model_dir(session, directory, notes="shipped default model, registered on first use")
    make_current(session, row, by="pantau", note="current by default: the registry had no current model")
    return row
