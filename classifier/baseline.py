"""TF-IDF + one-vs-rest logistic regression baseline, tuned and decoded the same way as the transformer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, make_pipeline

from pantau.classifier.calibration import decode, tune_thresholds
from pantau.classifier.metrics import evaluate_predictions, macro_f1, multi_hot
from pantau.classifier.text import clean_text

C_GRID = (1.0, 4.0, 16.0)


@dataclass
class TfidfBaseline:
    pipeline: object
    labels: list[str]
    exclusive_label: str | None
    thresholds: dict[str, float]
    C: float

    def scores(self, texts: Sequence[str]) -> np.ndarray:
        return self.pipeline.predict_proba([clean_text(t or "") for t in texts])  # type: ignore[attr-defined]

    def predict(self, texts: Sequence[str]) -> list[tuple[list[str], str]]:
        return [decode(row, self.labels, self.thresholds, self.exclusive_label) for row in self.scores(texts)]

    def evaluate(
        self, rows: Sequence[dict], predicted: Sequence[tuple[list[str], str]] | None = None
    ) -> dict[str, object]:
        if predicted is None:
            predicted = self.predict([row["text"] for row in rows])
        return evaluate_predictions(
            [row["labels"] for row in rows],
            [labels for labels, _ in predicted],
            [row.get("primary") or row["labels"][0] for row in rows],
            [primary for _, primary in predicted],
            self.labels,
        )


def _pipeline(c: float) -> object:
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1, lowercase=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2)),
        ]
    )
    classifier = OneVsRestClassifier(LogisticRegression(C=c, max_iter=2000, class_weight="balanced"))
    return make_pipeline(features, classifier)


def train_baseline(
    train_rows: Sequence[dict], dev_rows: Sequence[dict], labels: Sequence[str], exclusive_label: str | None
) -> TfidfBaseline:
    """Fit on train; pick C and per-label thresholds on dev (the transformer gets the same dev tuning)."""
    labels = list(labels)
    train_texts = [clean_text(row["text"]) for row in train_rows]
    dev_texts = [clean_text(row["text"]) for row in dev_rows]
    train_y = multi_hot([row["labels"] for row in train_rows], labels)
    dev_y = multi_hot([row["labels"] for row in dev_rows], labels)
    best: tuple[float, float, object] | None = None
    for c in C_GRID:
        pipeline = _pipeline(c)
        pipeline.fit(train_texts, train_y)  # type: ignore[attr-defined]
        probs = pipeline.predict_proba(dev_texts)  # type: ignore[attr-defined]
        predicted = [decode(row, labels, {}, exclusive_label)[0] for row in probs]
        score = macro_f1(dev_y, multi_hot(predicted, labels))
        if best is None or score > best[0]:
            best = (score, c, pipeline)
    assert best is not None
    _, c, pipeline = best
    thresholds = tune_thresholds(pipeline.predict_proba(dev_texts), dev_y, labels)  # type: ignore[attr-defined]
    return TfidfBaseline(pipeline, labels, exclusive_label, thresholds, c)
