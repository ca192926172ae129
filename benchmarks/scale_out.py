"""Scale-out of `framing score`: the local engine against 1 and 2 local Ray workers, memory per
worker, and a kill -9 of the driver followed by a resume, on a 1-million-sentence corpus.

Two models, because they sit at the two ends of the cost range:

* `tfidf` (trained here on data/un/train.jsonl in seconds; ~28,000 sentences/s on one core):
  scores the full corpus (default 1,000,000 sentences) with each engine, so the engine's own
  costs (reading, staging, moving Arrow batches, writing shards) dominate;
* the packaged int8 ONNX model `geopolitics` (~150 sentences/s per core): scores the first
  `--n-model` sentences (default 20,000) with each engine, where the model dominates.

Every configuration runs in its own process with a fresh local Ray instance; a sampler reads
/proc every 0.2 s for the resident memory of that process (the driver) and of each Ray worker
(`ray::MapWorker...`). Then the driver is killed (SIGKILL) part way through a local-engine run
of the full corpus, the same command is run again, and the shards are checked to hold rows
0..n-1 exactly once.

Usage: python benchmarks/scale_out.py [--n 1000000] [--n-model 20000] [--workdir DIR]
       [--output benchmarks/results/scale_out.json]
"""

from __future__ import annotations

import argparse
import gzip
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("RAY_AUTH_MODE", "disabled")

REPO = Path(__file__).resolve().parent.parent
CONFIGS = [("local", None), ("ray", 1), ("ray", 2)]
SHARD_SIZE = 50_000


def write_corpus(path: Path, n: int) -> None:
    """n sentences cycling through the shipped UN sentences, each with its own id."""
    with gzip.open(REPO / "data/un/sentences.jsonl.gz", "rt", encoding="utf-8") as handle:
        base = [json.loads(line) for line in handle]
    with open(path, "w", encoding="utf-8") as out:
        for i, row in zip(range(n), itertools.cycle(base)):
            record = {
                "id": f"r{i}",
                "doc_id": f"{row['doc_id']}#{i // len(base)}",
                "source": row["source"],
                "date": row.get("date"),
                "text": row["text"],
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def train_tfidf(folder: Path) -> None:
    from framing import FramingClassifier
    from framing.data import read_examples
    from framing.labels import load_schema

    schema = load_schema(REPO / "configs/labels/geopolitics.yaml")
    train = read_examples(REPO / "data/un/train.jsonl", schema)
    FramingClassifier("tfidf", schema=schema).fit(train).save(folder)


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as handle:
            for line in handle:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def _title(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class MemorySampler:
    """Peak resident memory of a driver process and of every Ray map worker, and the CPU
    seconds of the driver, the map workers and Ray's other processes, by /proc scans."""

    def __init__(self, driver: int) -> None:
        self.driver = driver
        self.driver_peak = 0
        self.workers: dict[int, int] = {}
        self.cpu: dict[int, tuple[str, float]] = {}  # pid -> (role, CPU seconds so far)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.wait(0.2):
            self.driver_peak = max(self.driver_peak, _rss(self.driver))
            self.cpu[self.driver] = ("driver", _cpu_seconds(self.driver))
            for name in os.listdir("/proc"):
                if not name.isdigit() or int(name) == self.driver:
                    continue
                pid, title = int(name), _title(int(name))
                if title.startswith("ray::MapWorker"):
                    self.workers[pid] = max(self.workers.get(pid, 0), _rss(pid))
                    self.cpu[pid] = ("workers", _cpu_seconds(pid))
                elif "/ray/" in title or title.startswith("ray::"):
                    self.cpu[pid] = ("ray_other", _cpu_seconds(pid))

    def cpu_by_role(self) -> dict[str, float]:
        """CPU seconds per role over the run (processes seen at least once)."""
        out: dict[str, float] = {}
        for role, seconds in self.cpu.values():
            out[role] = out.get(role, 0.0) + seconds
        return out

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()


def run_one(corpus: Path, model: str, output: Path, engine: str, workers: int | None) -> dict:
    """Score in a child process (fresh Ray instance), sampling its memory; returns the result."""
    code = (
        "import json, sys\n"
        "from framing.scoring import EngineOptions, score\n"
        f"r = score({str(corpus)!r}, {model!r}, {str(output)!r}, shard_size={SHARD_SIZE},\n"
        f"          options=EngineOptions(engine={engine!r}, workers={workers!r}))\n"
        "print(json.dumps({'n_rows': r.n_rows, 'seconds': r.seconds,\n"
        "                  'scoring_seconds': r.scoring_seconds}))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    with MemorySampler(proc.pid) as memory:
        out, _ = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"{engine} x {workers}: exit {proc.returncode}")
    result = json.loads(out.strip().splitlines()[-1])
    result.update(
        engine=engine,
        workers=workers,
        sentences_per_s=result["n_rows"] / result["seconds"],
        scoring_sentences_per_s=result["n_rows"] / result["scoring_seconds"],
        driver_peak_rss_mb=memory.driver_peak / 2**20,
        worker_peak_rss_mb=sorted(v / 2**20 for v in memory.workers.values()),
        cpu_seconds=memory.cpu_by_role(),
    )
    return result


def kill_and_resume(corpus: Path, model: str, output: Path, n: int) -> dict:
    """kill -9 the driver once 40% of the shards are written; rerun; check every row once."""
    import pyarrow.parquet as pq

    command = [
        sys.executable,
        "-m",
        "framing.cli",
        "score",
        str(corpus),
        "--model",
        model,
        "--output",
        str(output),
        "--shard-size",
        str(SHARD_SIZE),
        "-q",
    ]
    n_shards = -(-n // SHARD_SIZE)
    proc = subprocess.Popen(command)
    manifest = output / "score.json"
    while proc.poll() is None:
        done = json.loads(manifest.read_text())["shards"] if manifest.is_file() else {}
        if len(done) >= 0.4 * n_shards:
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait()
    at_kill = len(json.loads(manifest.read_text())["shards"])
    started = time.perf_counter()
    subprocess.run(command, check=True)
    resume_s = time.perf_counter() - started
    ids = pq.read_table(output / "shards", columns=["row_id"]).column("row_id").to_numpy()
    exact = (
        len(ids) == n
        and len(set(ids.tolist())) == n
        and int(ids.min()) == 0
        and int(ids.max()) == n - 1
    )
    return {
        "killed_with_signal": proc.returncode == -signal.SIGKILL,
        "shards_at_kill": at_kill,
        "n_shards": n_shards,
        "resume_s": resume_s,
        "rows": int(len(ids)),
        "every_row_once": exact,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--n-model", type=int, default=20_000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--output", type=Path, default=REPO / "benchmarks/results/scale_out.json")
    parser.add_argument("--models", nargs="+", default=["tfidf", "int8"], choices=["tfidf", "int8"])
    parser.add_argument("--no-kill", action="store_true", help="Skip the kill -9 and resume.")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="framing-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    big, small, tfidf = work / "corpus.jsonl", work / "corpus_small.jsonl", work / "tfidf"
    write_corpus(big, args.n)
    write_corpus(small, args.n_model)
    if not tfidf.exists():
        train_tfidf(tfidf)
    results: dict[str, Any] = {
        "n": args.n,
        "n_model": args.n_model,
        "shard_size": SHARD_SIZE,
        "cpus": os.cpu_count(),
        "runs": [],
    }
    for label, corpus, model in (("tfidf", big, str(tfidf)), ("int8", small, "geopolitics")):
        if label not in args.models:
            continue
        for engine, workers in CONFIGS:
            out = work / f"out-{label}-{engine}-{workers}"
            shutil.rmtree(out, ignore_errors=True)
            run = run_one(corpus, model, out, engine, workers)
            run["model"] = label
            results["runs"].append(run)
            print(json.dumps(run), flush=True)
    if not args.no_kill:
        shutil.rmtree(work / "out-kill", ignore_errors=True)
        results["kill_and_resume"] = kill_and_resume(big, str(tfidf), work / "out-kill", args.n)
        print(json.dumps(results["kill_and_resume"]), flush=True)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(args.output)


if __name__ == "__main__":
    main()
