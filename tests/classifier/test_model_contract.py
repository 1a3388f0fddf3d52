"""The shipped model answers every kind of post with a valid, calibrated, never-crashing Prediction."""

from __future__ import annotations

import json

import pytest

from pantau.classifier.model import IssueClassifier, Prediction
from pantau.classifier.taxonomy import Taxonomy
from pantau.core.config import DEFAULT_MODEL_DIR

ODD_POSTS = [
    "",
    "   \n\t ",
    "😡😡😡🙏",
    "👍",
    "?!?!",
    "x" * 20_000,
    "OTP JMO gak masuk " * 2_000,
    "The app keeps crashing when I open it, please fix.",
    "これは日本語のテキストです",
    "@BPJSTKinfo https://t.co/abc123",
    None,
]


def check_prediction(prediction: Prediction, model: IssueClassifier) -> None:
    assert prediction.labels, "a prediction always has at least one label"
    assert set(prediction.labels) <= set(model.labels)
    assert prediction.primary in prediction.labels
    assert set(prediction.scores) == set(model.labels)
    assert all(0.0 <= score <= 1.0 for score in prediction.scores.values())
    assert prediction.confidence == prediction.scores[prediction.primary]
    assert prediction.primary == max(prediction.labels, key=lambda label: prediction.scores[label])
    if model.exclusive_label in prediction.labels:
        assert prediction.labels == [model.exclusive_label]
    if prediction.confidence < model.review_threshold:
        assert prediction.needs_review


def test_shipped_model_labels_come_from_the_taxonomy(shipped_model: IssueClassifier, taxonomy: Taxonomy) -> None:
    assert shipped_model.labels == taxonomy.labels
    assert shipped_model.exclusive_label == taxonomy.exclusive_label
    assert set(shipped_model.thresholds) == set(taxonomy.labels)
    assert shipped_model.version.startswith("pantau-")


def test_shipped_model_is_small_and_documented() -> None:
    assert (DEFAULT_MODEL_DIR / "model.safetensors").stat().st_size <= 25 * 1024 * 1024
    metadata = json.loads((DEFAULT_MODEL_DIR / "pantau.json").read_text(encoding="utf-8"))
    for key in (
        "version",
        "labels",
        "exclusive_label",
        "thresholds",
        "temperature",
        "review_threshold",
        "base_model",
        "training",
        "seed",
        "data_fingerprint",
        "metrics",
        "created_at",
    ):
        assert key in metadata, key
    assert {"dev", "test"} <= set(metadata["metrics"])
    card = (DEFAULT_MODEL_DIR / "README.md").read_text(encoding="utf-8")
    assert "python -m pantau.classifier.build_default" in card


def test_odd_inputs_get_sensible_predictions(shipped_model: IssueClassifier) -> None:
    predictions = shipped_model.predict(ODD_POSTS)
    assert len(predictions) == len(ODD_POSTS)
    for prediction in predictions:
        check_prediction(prediction, shipped_model)
    for blank in (predictions[0], predictions[1], predictions[-1]):
        assert blank.labels == [shipped_model.exclusive_label]
        assert blank.needs_review
    assert predictions[2].needs_review, "emoji-only posts go to a person"
    english = predictions[7]
    assert english.needs_review == (english.confidence < shipped_model.review_threshold)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("OTP JMO gak masuk2 udah sejam nungguin, gimana mau login min", "account_access"),
        ("klaim JHT saya sudah sebulan belum cair juga, statusnya masih diproses", "claims_payments"),
        ("alhamdulillah pencairan JHT lancar, terima kasih BPJS Ketenagakerjaan", "not_complaint"),
    ],
)
def test_clear_posts_get_the_obvious_primary_label(shipped_model: IssueClassifier, text: str, expected: str) -> None:
    assert shipped_model.predict([text])[0].primary == expected


def test_batched_length_sorted_predictions_keep_input_order(shipped_model: IssueClassifier) -> None:
    posts = [
        "server JMO down lagi dari pagi loading terus",
        "ok",
        "Yth. Bapak/Ibu, saya ingin menyampaikan keluhan bahwa verifikasi wajah saya di aplikasi JMO selalu "
        "gagal meskipun sudah mencoba berulang kali di tempat yang terang. Mohon bantuannya.",
        "makasih infonya min",
    ]
    one_by_one = [shipped_model.predict([post])[0] for post in posts]
    batched = shipped_model.predict(posts, batch_size=2)
    assert [p.labels for p in batched] == [p.labels for p in one_by_one]
    for a, b in zip(batched, one_by_one, strict=True):
        assert a.scores == pytest.approx(b.scores, abs=1e-3)


@pytest.mark.slow
def test_int8_quantised_model_agrees_with_fp32_on_clear_posts(taxonomy: Taxonomy) -> None:
    quantised = IssueClassifier.load(DEFAULT_MODEL_DIR, threads=2, quantize=True)
    fp32 = IssueClassifier.load(DEFAULT_MODEL_DIR, threads=2)
    posts = [
        "aplikasi JMO force close terus tiap dibuka, udah update tetap sama",
        "call center 175 gak pernah diangkat, DM juga gak dibales",
        "verifikasi wajah gagal terus padahal udah di tempat terang",
    ]
    assert [p.primary for p in quantised.predict(posts)] == [p.primary for p in fp32.predict(posts)]
    for prediction in quantised.predict(ODD_POSTS):
        check_prediction(prediction, quantised)
