"""The precision the classifier computes in: chosen from config and CPU, and what each costs in labels."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pantau.classifier.corpus import load_corpus
from pantau.classifier.model import IssueClassifier
from pantau.classifier.precision import cpu_flags, native_bfloat16, resolve_precision
from pantau.core.config import DEFAULT_MODEL_DIR, PACKAGE_ROOT, load_settings
from support import BASE_CONFIG

X86_CPUINFO = "processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu sse2 avx2 avx512f avx512_bf16\n\nprocessor\t: 1\n"
ARM_CPUINFO = "processor\t: 0\nFeatures\t: fp asimd evtstrm aes sha2 crc32 bf16 i8mm\nCPU part\t: 0xd40\n"
OLD_CPUINFO = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2 fma\n"


@pytest.mark.parametrize(
    ("cpuinfo", "expected"), [(X86_CPUINFO, "bfloat16"), (ARM_CPUINFO, "bfloat16"), (OLD_CPUINFO, "float32")]
)
def test_auto_uses_bfloat16_only_where_the_cpu_has_it(tmp_path: Path, cpuinfo: str, expected: str) -> None:
    path = tmp_path / "cpuinfo"
    path.write_text(cpuinfo)
    assert resolve_precision("auto", flags=cpu_flags(path)) == expected


def test_explicit_precisions_and_the_quantize_shorthand() -> None:
    assert resolve_precision("float32", flags={"avx512_bf16"}) == "float32"
    assert resolve_precision("bfloat16", flags=set()) == "bfloat16"
    assert resolve_precision("auto", quantize=True) == "int8"
    assert resolve_precision("float32", quantize=True) == "int8"
    with pytest.raises(ValueError, match="unknown precision 'fp16'"):
        resolve_precision("fp16")


def test_no_cpuinfo_means_no_native_bfloat16(tmp_path: Path) -> None:
    assert cpu_flags(tmp_path / "missing") == set()
    assert not native_bfloat16(set())


def test_configured_precision_reaches_the_loaded_classifier(tmp_path: Path) -> None:
    settings = load_settings(BASE_CONFIG)
    assert settings.classifier.precision == "auto"
    options = settings.classifier.model_copy(update={"precision": "int8"})
    assert IssueClassifier.from_options(DEFAULT_MODEL_DIR, options).precision == "int8"
    options = settings.classifier.model_copy(update={"precision": "float32", "quantize": True})
    assert IssueClassifier.from_options(DEFAULT_MODEL_DIR, options).precision == "int8"


def test_int8_uses_the_calibration_fitted_for_it_and_falls_back_without_one(tmp_path: Path) -> None:
    metadata = json.loads((DEFAULT_MODEL_DIR / "pantau.json").read_text(encoding="utf-8"))
    quantised = IssueClassifier.load(DEFAULT_MODEL_DIR, precision="int8")
    assert quantised.thresholds == metadata["int8"]["thresholds"] != metadata["thresholds"]
    assert quantised.temperature == metadata["int8"]["temperature"]
    assert IssueClassifier.load(DEFAULT_MODEL_DIR, precision="float32").thresholds == metadata["thresholds"]

    older = tmp_path / "older-model"
    shutil.copytree(DEFAULT_MODEL_DIR, older)
    del metadata["int8"]
    (older / "pantau.json").write_text(json.dumps(metadata), encoding="utf-8")
    assert IssueClassifier.load(older, precision="int8").thresholds == metadata["thresholds"]


@pytest.mark.slow
def test_bfloat16_gives_the_float32_labels_on_the_dev_split() -> None:
    rows = load_corpus(PACKAGE_ROOT / "data" / "corpus" / "corpus.jsonl", "dev")[:300]
    texts = [row["text"] for row in rows]
    full = IssueClassifier.load(DEFAULT_MODEL_DIR, threads=2, precision="float32").predict(texts)
    half = IssueClassifier.load(DEFAULT_MODEL_DIR, threads=2, precision="bfloat16").predict(texts)
    changed = sum(a.labels != b.labels for a, b in zip(full, half, strict=True))
    assert changed <= 3, f"{changed} of {len(rows)} label sets changed in bfloat16"
    for a, b in zip(full, half, strict=True):
        assert a.scores == pytest.approx(b.scores, abs=0.06)
