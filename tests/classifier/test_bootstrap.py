"""The paired bootstrap that says whether the model's lead over the baseline is more than chance."""

from __future__ import annotations

import random

from pantau.classifier.metrics import macro_f1, multi_hot, paired_bootstrap

LABELS = ["login", "payment", "outage"]


def _gold(count: int) -> list[list[str]]:
    rng = random.Random(1)
    return [[rng.choice(LABELS)] for _ in range(count)]


def _with_errors(gold: list[list[str]], every: int) -> list[list[str]]:
    return [[LABELS[(LABELS.index(row[0]) + 1) % 3]] if i % every == 0 else row for i, row in enumerate(gold)]


def test_the_observed_difference_is_the_macro_f1_difference() -> None:
    gold = _gold(300)
    first, second = _with_errors(gold, 10), _with_errors(gold, 4)
    result = paired_bootstrap(gold, first, second, LABELS, resamples=500)
    expected = macro_f1(multi_hot(gold, LABELS), multi_hot(first, LABELS)) - macro_f1(
        multi_hot(gold, LABELS), multi_hot(second, LABELS)
    )
    assert abs(result["difference"] - expected) < 1e-4


def test_a_clearly_better_model_is_ahead_in_every_draw_and_equal_models_in_none() -> None:
    gold = _gold(400)
    clear = paired_bootstrap(gold, gold, _with_errors(gold, 3), LABELS, resamples=500)
    assert clear["low"] > 0.2 and clear["share_ahead"] == 1.0
    same = paired_bootstrap(gold, _with_errors(gold, 5), _with_errors(gold, 5), LABELS, resamples=500)
    assert same["difference"] == same["low"] == same["high"] == 0.0 and same["share_ahead"] == 0.0


def test_a_small_lead_on_few_posts_has_an_interval_that_spans_zero() -> None:
    gold = _gold(60)
    first = _with_errors(gold, 6)
    second = [row if i != 1 else [LABELS[(LABELS.index(row[0]) + 1) % 3]] for i, row in enumerate(first)]
    result = paired_bootstrap(gold, first, second, LABELS, resamples=1000, seed=3)
    assert result["difference"] > 0 and result["low"] <= 0 < result["high"]
    assert 0.5 < result["share_ahead"] < 1.0
