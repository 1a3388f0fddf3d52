"""`pantau models`: the shipped model as implicit current, list/show, gated promotion, force, rollback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session

from pantau.retraining.promotion import gate_checks
from pantau.storage.registry import get_model
from support import pantau


def _version(model_dir: Path) -> str:
    return json.loads((model_dir / "pantau.json").read_text(encoding="utf-8"))["version"]


def _models() -> dict[str, dict]:
    result = pantau("models", "list", "--format", "json")
    assert result.exit_code == 0, result.stderr
    return {model["version"]: model for model in json.loads(result.stdout)}


def _register(model_dir: Path) -> str:
    result = pantau("models", "register", str(model_dir))
    assert result.exit_code == 0, result.stderr
    return _version(model_dir)


def test_the_shipped_model_is_registered_as_current_on_first_use(rt_config, rt_engine, tiny_models) -> None:  # type: ignore[no-untyped-def]
    models = _models()
    shipped = _version(tiny_models.bad)
    assert list(models) == [shipped]
    assert models[shipped]["is_current"] and models[shipped]["status"] == "current"
    assert models[shipped]["path"] == str(tiny_models.bad)

    candidate = _register(tiny_models.good)
    assert _register(tiny_models.good) == candidate, "registering twice is harmless"
    result = pantau("models", "show", candidate[:-3])
    assert result.exit_code == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["status"] == "candidate" and not shown["is_current"]
    recorded = json.loads((tiny_models.good / "pantau.json").read_text(encoding="utf-8"))["metrics"]["test"]
    assert shown["metrics"]["test"]["macro_f1"] == recorded["macro_f1"] > 0.9
    assert len(shown["data_fingerprint"]) == 64
    assert shown["base_model"] == str(tiny_models.pretrained)
    assert shown["params"]["training"]["learning_rate"] == 1e-3 and shown["params"]["labels"][0] == "login"
    assert shown["created_at"]
    table = pantau("models", "list")
    assert candidate in table.stdout and "candidate" in table.stdout
    assert pantau("models", "show", "no-such-version").exit_code == 1


@pytest.mark.slow
def test_promotion_is_gated_forced_promotions_are_recorded_and_rollback_restores(
    rt_config, rt_engine, rt_settings, tiny_models
) -> None:  # type: ignore[no-untyped-def]
    shipped, good, worse = _version(tiny_models.bad), _register(tiny_models.good), _register(tiny_models.worse)
    data = ("--data", str(tiny_models.corpus))

    accepted = pantau("models", "promote", good, "--by", "rina", *data)
    assert accepted.exit_code == 0, accepted.stderr
    assert f"{good} is now the current model" in accepted.stdout
    assert "pantau classify --since " in accepted.stdout and "--reclassify" in accepted.stdout
    report = Path(accepted.stdout.split("report: ")[1].split()[0].rstrip(";"))
    assert report.name == "report.md" and report.is_file()
    assert (report.parent / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"
    assert (report.parent / "pr_curves.png").read_bytes()[:4] == b"\x89PNG"
    text = report.read_text(encoding="utf-8")
    assert shipped in text and good in text and "| macro-F1 |" in text and "promoted" in text

    refused = pantau("models", "promote", worse, "--by", "rina", *data)
    assert refused.exit_code == 1
    assert "refused: macro-F1" in refused.stderr and "FAIL macro-F1" in refused.stderr
    models = _models()
    assert models[good]["is_current"] and models[worse]["status"] == "rejected"
    assert models[worse]["last_gate"]["passed"] is False
    refused_report = Path(models[worse]["last_gate"]["report"]) / "report.md"
    assert "**refused**" in refused_report.read_text(encoding="utf-8")

    assert pantau("models", "promote", worse, "--force", *data).exit_code == 2, "--force needs --reason"
    forced = pantau("models", "promote", worse, "--force", "--reason", "demo of override", "--by", "lead", *data)
    assert forced.exit_code == 0, forced.stderr
    assert "forced past the gate" in forced.stdout
    with Session(rt_engine) as session:
        row = get_model(session, worse)
        assert row is not None and row.is_current and row.forced and row.promoted_by == "lead"
        assert "demo of override" in (row.notes or "") and "macro-F1" in (row.notes or "")

    back = pantau("models", "rollback", "--by", "rina")
    assert back.exit_code == 0, back.stderr
    assert f"{good} is the current model again" in back.stdout
    models = _models()
    assert models[good]["is_current"] and models[worse]["status"] == "rolled_back"
    assert pantau("models", "rollback").exit_code == 0
    assert _models()[shipped]["is_current"], "a second rollback goes one further back"
    nothing = pantau("models", "rollback")
    assert nothing.exit_code == 1 and "nothing to roll back to" in nothing.stderr


def test_the_gate_allows_the_configured_tolerance_and_no_more() -> None:
    def metrics(macro: float, recall: float) -> dict:
        return {
            "macro_f1": macro,
            "per_label": {"a": {"recall": recall, "support": 5}, "b": {"recall": 1.0, "support": 0}},
        }

    current = metrics(0.80, 0.90)
    assert all(check.passed for check in gate_checks(current, metrics(0.79, 0.885), 0.02))
    failed = [check.name for check in gate_checks(current, metrics(0.81, 0.87), 0.02) if not check.passed]
    assert failed == ["recall a"]
    failed = [check.name for check in gate_checks(current, metrics(0.77, 0.95), 0.02) if not check.passed]
    assert failed == ["macro-F1"]
    assert [check.name for check in gate_checks(current, metrics(0.8, 0.9), 0.0)] == ["macro-F1", "recall a"]
