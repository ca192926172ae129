"""Sentences per second and peak memory for every scoring path, in one process, on the same
sentences; the fine-tuned model is compared with a plain `transformers.pipeline` over the same
weights, and everything with this machine's fp32 matrix-multiply ceiling, measured here too.

Usage:
    python benchmarks/throughput.py [--run experiments/runs/<run>] [--n 2000] [--threads 2]

Without --run, the newest run folder under experiments/runs that holds a finetune model is used.
Ends with one line per path: `<path>: <N> sent/s, <R>x pipeline, <P>% of fp32 ceiling`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parent.parent


class PeakRSS:
    """Samples this process's resident memory every 20 ms while a path runs."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()

    @staticmethod
    def current() -> int:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def __enter__(self) -> PeakRSS:
        self.peak = self.current()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.current())

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()


def timed(fn: Callable[[], Any], repeats: int = 1) -> tuple[float, int]:
    """Best wall time over `repeats` runs and the peak RSS seen."""
    best = float("inf")
    with PeakRSS() as rss:
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - start)
    return best, rss.peak


def matmul_gflops(size: int = 2048, repeats: int = 3) -> float:
    import numpy as np

    a = np.random.default_rng(0).standard_normal((size, size), dtype=np.float32)
    b = np.random.default_rng(1).standard_normal((size, size), dtype=np.float32)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best / 1e9


def flops_per_sentence(config: Any, tokens: float) -> float:
    """Forward FLOPs of a BERT-style encoder for one sentence of `tokens` tokens (no embeddings)."""
    h, layers, inter = config.hidden_size, config.num_hidden_layers, config.intermediate_size
    dense = 2 * tokens * layers * (4 * h * h + 2 * h * inter)
    attention = 2 * layers * 2 * tokens * tokens * h
    return float(dense + attention)


def load_sentences(n: int, seed: int) -> list[str]:
    with gzip.open(REPO / "data" / "un" / "sentences.jsonl.gz", "rt", encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for line in handle]
    return random.Random(seed).sample(texts, n)


def newest_run() -> Path:
    runs = sorted((REPO / "experiments" / "runs").glob("*/finetune/model/framing.json"))
    if not runs:
        raise SystemExit(
            "no run with a finetune model under experiments/runs: train "
            "configs/default.yaml first, or pass --run"
        )
    return runs[-1].parent.parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, default=None)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args()

    import numpy as np
    import torch
    from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer, pipeline
    from transformers.utils import logging as hf_logging

    from framing import FramingClassifier
    from framing.export import export_onnx

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    torch.set_num_threads(args.threads)
    run = args.run or newest_run()
    texts = load_sentences(args.n, args.seed)
    finetune_dir = run / "finetune" / "model"
    tokenizer = AutoTokenizer.from_pretrained(str(finetune_dir))
    config = AutoConfig.from_pretrained(str(finetune_dir))
    tokens = float(
        np.mean(
            [len(ids) for ids in tokenizer(texts, truncation=True, max_length=128)["input_ids"]]
        )
    )
    gflops = matmul_gflops()
    ceiling = gflops * 1e9 / flops_per_sentence(config, tokens)
    print(f"run: {run}\nsentences: {len(texts)}, mean {tokens:.1f} tokens; threads {args.threads}")
    print(
        f"fp32 matmul: {gflops:.1f} GFLOP/s -> ceiling {ceiling:.0f} sentences/s for one "
        f"encoder pass"
    )

    results: dict[str, dict[str, float]] = {}

    def record(name: str, seconds: float, peak: int, passes: int = 1) -> None:
        results[name] = {
            "sent_per_s": len(texts) / seconds,
            "seconds": seconds,
            "peak_rss_mb": peak / 2**20,
            "passes": passes,
        }
        print(f"  {name}: {len(texts) / seconds:.1f} sent/s, peak RSS {peak / 2**20:.0f} MB")

    # The hand-written alternative: a text-classification pipeline over the same encoder weights
    # (a fresh classification head: speed does not depend on the head's values).
    seq = AutoModelForSequenceClassification.from_pretrained(str(finetune_dir), num_labels=4)
    pipe = pipeline("text-classification", model=seq, tokenizer=tokenizer, device=-1)
    pipe(texts[:8])
    record("pipeline (defaults)", *timed(lambda: pipe(texts)))
    record("pipeline (batch_size=32)", *timed(lambda: pipe(texts, batch_size=32)))
    pipe = seq = None  # free the memory before the next path

    if (run / "tfidf" / "model").is_dir():
        tfidf = FramingClassifier.load(run / "tfidf" / "model")
        tfidf.predict_proba(texts[:8])
        record("tfidf", *timed(lambda: tfidf.predict_proba(texts), repeats=3))
    else:
        print("  tfidf: skipped (no tfidf model in this run)")

    if (run / "encoder" / "model").is_dir():
        encoder = FramingClassifier.load(run / "encoder" / "model")
        encoder.predict_proba(texts[:8])
        record(
            "encoder (frozen, torch)",
            *timed(lambda: encoder.backend_.encoder.cache.clear() or encoder.predict_proba(texts)),
        )
        encoder = None
    else:
        print("  encoder: skipped (no encoder model in this run)")

    finetune = FramingClassifier.load(finetune_dir)
    finetune.predict_proba(texts[:8], targets=[])
    record(
        "finetune torch (frames, 1 pass)", *timed(lambda: finetune.predict_proba(texts, targets=[]))
    )
    n_targets = len(finetune.schema_.targets)
    # A one-pass model reads frames and every schema target in one encoder pass; a pair-input
    # model makes one pass for frames and one per target.
    passes = 1 if finetune.backend_.stance_input != "pair" else 1 + n_targets
    record(
        f"finetune torch (frames + {n_targets} targets)",
        *timed(lambda: finetune.predict_proba(texts)),
        passes=passes,
    )

    with tempfile.TemporaryDirectory() as tmp:
        onnx_dir = export_onnx(finetune_dir, Path(tmp) / "onnx", quantize=True)
        fast = FramingClassifier.load(onnx_dir)
        fast.predict_proba(texts[:8], targets=[])
        record(
            "finetune onnx int8 (frames, 1 pass)",
            *timed(lambda: fast.predict_proba(texts, targets=[])),
        )
        record(
            f"finetune onnx int8 (frames + {n_targets} targets)",
            *timed(lambda: fast.predict_proba(texts)),
            passes=passes,
        )
        ref, new = finetune.predict(texts), fast.predict(texts)
        size_mb = sum(f.stat().st_size for f in Path(onnx_dir).iterdir()) / 1e6
        print(f"  int8 folder: {size_mb:.1f} MB")
    decisions = same = 0
    for a, b in zip(ref, new):
        for frame in finetune.schema_.frames:
            decisions += 1
            same += (frame in a.frames) == (frame in b.frames)
        for target in finetune.schema_.targets:
            decisions += 1
            same += a.stance[target] == b.stance[target]
    sentence_same = np.mean([a == b for a, b in zip(ref, new)])
    agreement = {"label_decisions": same / decisions, "sentences": float(sentence_same)}
    print(
        f"onnx int8 vs torch: {100 * same / decisions:.2f}% of label decisions identical, "
        f"{100 * sentence_same:.2f}% of sentences identical in every label"
    )

    base = results["pipeline (defaults)"]["sent_per_s"]
    base32 = results["pipeline (batch_size=32)"]["sent_per_s"]
    print()
    for name, r in results.items():
        per_pass = r["sent_per_s"] * r["passes"]
        share = f"{100 * per_pass / ceiling:.0f}% of fp32 ceiling" if "tfidf" not in name else "n/a"
        print(
            f"{name}: {r['sent_per_s']:.0f} sent/s, {r['sent_per_s'] / base:.2f}x pipeline, "
            f"{r['sent_per_s'] / base32:.2f}x pipeline(batch_size=32), {share}"
        )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "run": str(run),
                    "n": len(texts),
                    "tokens": tokens,
                    "gflops": gflops,
                    "ceiling": ceiling,
                    "results": results,
                    "agreement": agreement,
                    "int8_folder_mb": size_mb,
                },
                indent=1,
            )
        )


if __name__ == "__main__":
    main()
