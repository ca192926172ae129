"""Sentences per second of saved model folders, side by side in one process on the same 2,000
UN sentences as benchmarks/throughput.py (seeded sample): full prediction (frames and every
schema target) and frames only, best of --repeats passes, with this machine's fp32 matrix rate
so that numbers from different machines can be put side by side. The language check is off
(`on_other_language="ignore"`), as in throughput.py.

Usage:
    python benchmarks/model_speed.py --model packaged=src/framing/pretrained/geopolitics \\
        --model student3=<int8 folder> [--n 2000] [--repeats 3] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from throughput import load_sentences, matmul_gflops  # noqa: E402

from framing import FramingClassifier  # noqa: E402


def best_rate(
    model: FramingClassifier, texts: list[str], targets: list[str] | None, repeats: int
) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        model.predict(texts, targets=targets, on_other_language="ignore")
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", required=True, metavar="NAME=FOLDER")
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    if any("=" not in item for item in args.model):
        parser.error(
            "--model takes NAME=FOLDER, e.g. --model packaged=src/framing/pretrained/geopolitics"
        )
    texts = load_sentences(args.n, args.seed)
    models = {
        name: FramingClassifier.load(path) for name, path in (m.split("=", 1) for m in args.model)
    }
    results: dict[str, dict[str, float]] = {}
    for name, model in models.items():
        model.predict(texts[:64], on_other_language="ignore")  # warm the session
        full = best_rate(model, texts, None, args.repeats)
        frames = best_rate(model, texts, [], args.repeats)
        results[name] = {"full": round(full, 1), "frames_only": round(frames, 1)}
        print(
            f"{name}: full prediction {full:.1f} sent/s, frames only {frames:.1f} sent/s",
            flush=True,
        )
    gflops = matmul_gflops()
    print(f"fp32 matmul: {gflops:.0f} GFLOP/s")
    if args.json:
        record = {"n": args.n, "repeats": args.repeats, "matmul_gflops": round(gflops, 1)}
        args.json.write_text(
            json.dumps({**record, "models": results, "folders": args.model}, indent=1) + "\n"
        )


if __name__ == "__main__":
    main()
