"""Any YAML document as config.yaml gives Settings or one ConfigError line, never another exception."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pantau.core.config import ConfigError, Settings, load_settings
from support import BASE_CONFIG

SHIPPED: dict[str, Any] = yaml.safe_load(BASE_CONFIG.read_text(encoding="utf-8"))
KEYS = sorted({*SHIPPED, *(key for section in SHIPPED.values() if isinstance(section, dict) for key in section)})

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["Asia/Jakarta", "Mars/Olympus", "a" * 3000, "../etc/passwd", "sqlite:///x.db", "postgresql://"]),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=10)), children, max_size=4),
    ),
    max_leaves=25,
)


@st.composite
def mutated_shipped_config(draw: st.DrawFn) -> dict[str, Any]:
    """The shipped config with a few keys replaced, removed or added at any depth."""
    document = yaml.safe_load(yaml.safe_dump(SHIPPED))
    for _ in range(draw(st.integers(1, 4))):
        target = document
        for _ in range(draw(st.integers(0, 2))):
            children = [value for value in target.values() if isinstance(value, dict)]
            if not children:
                break
            target = draw(st.sampled_from(children))
        key = draw(st.one_of(st.sampled_from(sorted(target) or ["extra"]), st.sampled_from(KEYS)))
        if draw(st.booleans()):
            target[key] = draw(values)
        else:
            target.pop(key, None)
    return document


def load(text: str) -> Settings | None:
    with tempfile.TemporaryDirectory(prefix="pantau-config-") as directory:
        path = Path(directory) / "config.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            return load_settings(path)
        except ConfigError as exc:
            message = str(exc)
            assert message.startswith(str(path)) and "\n" not in message
            return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_shipped_config())
def test_a_mutated_config_loads_or_fails_in_one_line(document: dict[str, Any]) -> None:
    load(yaml.safe_dump(document, allow_unicode=True))


@settings(max_examples=200, deadline=None)
@given(st.one_of(values.map(lambda document: yaml.safe_dump(document, allow_unicode=True)), st.text(max_size=200)))
@example("timezone: 2026-02-30\n")  # PyYAML builds the date itself and raises ValueError
@example(f"timezone: {'a' * 3000}\n")  # ZoneInfo raises OSError (file name too long)
@example("[" * 2000)
@example("a: !!python/object:os.system ls\n")
@example("? '\n\n  '\n: null\n")  # an unknown key that is a newline must not break the one-line message
def test_any_yaml_text_loads_or_fails_in_one_line(text: str) -> None:
    load(text)
