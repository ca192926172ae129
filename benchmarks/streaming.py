"""Score a 1-million-sentence file with `framing predict`'s streaming path and report the peak
memory: the output is written chunk by chunk, so memory must stay flat however long the input.

Usage: python benchmarks/streaming.py MODEL_DIR [--n 1000000] [--chunk-size 4096]
The input cycles through the shipped UN sentences; the output goes to a temporary file.
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from throughput import PeakRSS

    from framing.inference import predict_file

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--chunk-size", type=int, default=4096)
    args = parser.parse_args()
    with gzip.open(REPO / "data" / "un" / "sentences.jsonl.gz", "rt", encoding="utf-8") as handle:
        texts = [json.loads(line)["text"] for line in handle]
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "input.txt"
        with open(source, "w", encoding="utf-8") as handle:
            for text in itertools.islice(itertools.cycle(texts), args.n):
                handle.write(text.replace("\n", " ") + "\n")
        output = Path(tmp) / "output.jsonl"
        start_rss = PeakRSS.current()
        start = time.perf_counter()
        with PeakRSS() as rss:
            n = predict_file(args.model, str(source), output, chunk_size=args.chunk_size)
        seconds = time.perf_counter() - start
        size = output.stat().st_size
    rate = n / seconds
    print(f"{n} sentences in {seconds:.0f} s ({rate:.0f} sent/s), output {size / 2**30:.2f} GB")
    print(f"RSS before {start_rss / 2**20:.0f} MB, peak while scoring {rss.peak / 2**20:.0f} MB")


if __name__ == "__main__":
    main()
