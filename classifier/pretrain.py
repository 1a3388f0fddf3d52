"""Masked-language-model pretraining of a compact BERT on unlabelled Indonesian text."""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm
from transformers import (
    AutoTokenizer,
    BertConfig,
    BertForMaskedLM,
    DataCollatorForLanguageModeling,
    get_linear_schedule_with_warmup,
)

from pantau.classifier.augment import noisy_variant
from pantau.classifier.text import clean_text
from pantau.classifier.train import apply_gradients


@dataclass(frozen=True)
class PretrainParams:
    hidden_size: int = 256
    num_layers: int = 4
    num_heads: int = 4
    intermediate_size: int = 1024
    max_length: int = 128
    steps: int = 3000
    batch_size: int = 64
    learning_rate: float = 5e-4
    warmup_ratio: float = 0.06
    weight_decay: float = 0.01
    mask_probability: float = 0.15
    augment_probability: float = 0.5
    seed: int = 13
    threads: int = 2
    checkpoint_every: int = 250
    max_minutes: float | None = None
    """Stop early after this much wall-clock time (recorded in pretrain.json); None: run all steps."""
    stop_after: int | None = None
    """Stop after this many steps while keeping the schedule of `steps` (replays a time-capped run exactly)."""


def bert_config(vocab_size: int, params: PretrainParams, tokenizer: object) -> BertConfig:
    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=params.hidden_size,
        num_hidden_layers=params.num_layers,
        num_attention_heads=params.num_heads,
        intermediate_size=params.intermediate_size,
        max_position_embeddings=params.max_length,
        pad_token_id=tokenizer.pad_token_id,  # type: ignore[attr-defined]
        type_vocab_size=2,
    )


def _batch_texts(texts: Sequence[str], rng: random.Random, params: PretrainParams) -> list[str]:
    """Sample a batch of similar-length texts (texts are sorted by length) to keep padding low."""
    window = min(len(texts), params.batch_size * 8)
    start = rng.randrange(len(texts) - window + 1)
    batch = [texts[start + rng.randrange(window)] for _ in range(params.batch_size)]
    return [noisy_variant(t, rng) if rng.random() < params.augment_probability else t for t in batch]


def _masked_loss(model: BertForMaskedLM, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """MLM loss computing vocabulary logits only at masked positions (the full head costs more than the encoder)."""
    hidden = model.bert(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    labels = batch["labels"]
    masked = labels != -100
    logits = model.cls(hidden[masked])
    return torch.nn.functional.cross_entropy(logits, labels[masked])


def pretrain_mlm(
    texts: Sequence[str],
    tokenizer_dir: str | Path,
    out_dir: str | Path,
    params: PretrainParams,
    init_from: str | Path | None = None,
) -> dict[str, object]:
    """Pretrain from scratch or continue from `init_from` (an MLM checkpoint dir); resumes from
    out_dir/checkpoint.pt after an interruption; saves model + tokenizer to out_dir."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.set_num_threads(params.threads)
    torch.manual_seed(params.seed)
    rng = random.Random(params.seed)
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    corpus = sorted({clean_text(t) for t in texts if t and t.strip()}, key=lambda t: (len(t), t))
    if init_from is not None:
        model = BertForMaskedLM.from_pretrained(str(init_from), dtype=torch.float32)
    else:
        model = BertForMaskedLM(bert_config(len(tokenizer), params, tokenizer))
    collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=params.mask_probability)
    decay = [p for n, p in model.named_parameters() if p.ndim > 1]
    no_decay = [p for n, p in model.named_parameters() if p.ndim <= 1]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": params.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=params.learning_rate,
    )
    scheduler = get_linear_schedule_with_warmup(optimizer, math.ceil(params.steps * params.warmup_ratio), params.steps)
    step, losses = 0, []
    checkpoint = out / "checkpoint.pt"
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        rng.setstate(state["rng"])
        torch.set_rng_state(state["torch_rng"])
        step, losses = state["step"], state["losses"]
    started = time.monotonic()
    model.train()
    progress = tqdm(total=params.steps, initial=step, desc="MLM pretraining", unit="step", mininterval=5)
    while step < params.steps:
        encoded = tokenizer(_batch_texts(corpus, rng, params), truncation=True, max_length=params.max_length)
        batch = collator([{"input_ids": ids} for ids in encoded["input_ids"]])
        loss = _masked_loss(model, batch)
        apply_gradients(model, loss, optimizer, scheduler)
        step += 1
        losses.append(round(loss.item(), 4))
        progress.update(1)
        progress.set_postfix(loss=f"{sum(losses[-50:]) / len(losses[-50:]):.3f}")
        out_of_time = (params.max_minutes is not None and time.monotonic() - started > params.max_minutes * 60) or (
            params.stop_after is not None and step >= params.stop_after
        )
        if step % params.checkpoint_every == 0 or step == params.steps or out_of_time:
            state = {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "rng": rng.getstate(),
                "torch_rng": torch.get_rng_state(),
                "step": step,
                "losses": losses,
            }
            torch.save(state, checkpoint)
        if out_of_time:
            break
    progress.close()
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    summary: dict[str, object] = {
        "params": asdict(params),
        "steps_done": step,
        "texts": len(corpus),
        "init_from": str(init_from) if init_from else None,
        "final_loss": round(sum(losses[-100:]) / max(len(losses[-100:]), 1), 4),
        "seconds_this_run": round(time.monotonic() - started, 1),
    }
    (out / "pretrain.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    checkpoint.unlink(missing_ok=True)
    return summary
