"""The config file is validated up front; bad config is one clear line and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pantau.core.config import ConfigError, load_settings
from support import BASE_CONFIG, pantau, write_config


def test_shipped_config_loads_with_the_taxonomy_and_jakarta_time() -> None:
    settings = load_settings(BASE_CONFIG)
    assert settings.timezone == "Asia/Jakarta"
    assert "account_access" in settings.label_keys
    assert settings.exclusive_label == "not_complaint"
    assert settings.display_name("account_access") == "Akses & akun"
    assert [source.type for source in settings.sources if source.enabled] == ["demo"]


def _broken_config(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    path = write_config(tmp_path, f"sqlite:///{tmp_path / 'x.db'}")
    document = yaml.safe_load(path.read_text())
    mutate(document)
    path.write_text(yaml.safe_dump(document))
    return path


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda doc: doc["sources"][1].update(max_results=500), "sources[1].max_results"),
        (lambda doc: doc["database"].update(pool="x"), "database.pool: unknown key"),
        (lambda doc: doc["sources"][1].update(bearer_token="abc"), "sources[1].bearer_token: unknown key"),
        (lambda doc: doc["classifier"].update(threads="many"), "classifier.threads"),
        (lambda doc: doc["classifier"].update(precision="fp16"), "classifier.precision"),
        (lambda doc: doc.update(timezone="Mars/Olympus"), "unknown time zone"),
        (lambda doc: doc["sources"][0].update(type="rss"), "sources[0]: unknown source type"),
    ],
)
def test_invalid_config_fails_with_one_line_naming_file_and_key(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    mutate,
    expected: str,  # type: ignore[no-untyped-def]
) -> None:
    path = _broken_config(tmp_path, mutate)
    monkeypatch.setenv("PANTAU_CONFIG", str(path))
    result = pantau("db", "upgrade")
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0]
    assert expected in lines[0]


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("database:\n  url: [unclosed\n")
    with pytest.raises(ConfigError, match=r"config.yaml: invalid YAML at line \d"):
        load_settings(path)


def test_database_url_comes_from_the_environment_when_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(tmp_path, "sqlite:///ignored.db")
    monkeypatch.setenv("PANTAU_DATABASE_URL", f"sqlite:///{tmp_path / 'from-env.db'}")
    assert load_settings(path).database_url.endswith("from-env.db")


def test_relative_sqlite_path_is_resolved_next_to_the_config_file(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("PANTAU_DATABASE_URL", raising=False)
    path = write_config(tmp_path, "sqlite:///data/pantau.db")
    assert load_settings(path).database_url == f"sqlite:///{tmp_path / 'data' / 'pantau.db'}"


def test_missing_config_file_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PANTAU_CONFIG", str(tmp_path / "nope.yaml"))
    result = pantau("db", "upgrade")
    assert result.exit_code == 2
    assert "config file not found" in result.stderr
