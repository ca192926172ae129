"""Accuracy on the public benchmarks: prepare the data, train every config, print one table.

Runs, in order (docs/benchmarks.md explains each protocol and shows the numbers):

1. `scripts/prepare_benchmarks.py`: canonical JSONL under .cache/framing/benchmarks/;
2. P-Stance: `framing train configs/benchmarks/pstance.yaml` (+ `pstance_finetune.yaml`);
3. Ukraine news bias: `ukraine_bias.yaml` (in domain) and `ukraine_bias_un_only.yaml`
   (trained on UN speeches only, scored on the news);
4. FrAC: `benchmarks/frac.py` with `frac.yaml` (+ `frac_finetune.yaml`), 5-fold CV;
5. VAST: `benchmarks/vast.py` on the P-Stance fine-tuned model from step 2 (or, when step 2
   did not fine-tune, the newest one on disk), zero-shot.

A benchmark whose data is absent prints `skipped: <name>: data not found at <path>` and the
rest go on. Fine-tuning takes long on CPU (P-Stance: ~15 min an epoch on 2 cores); leave it out
with --no-finetune.

Usage:
    python benchmarks/accuracy.py [--only pstance frac ...] [--no-finetune]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parent.parent
CONFIGS = REPO / "configs" / "benchmarks"
NAMES = ("pstance", "ukraine_bias", "frac", "vast")


def prepare(shared: Path | None, only: list[str]) -> dict[str, Any]:
    """Run the prepare script in-process; returns its per-benchmark counts (None = skipped)."""
    sys.path.insert(0, str(REPO / "scripts"))
    import prepare_benchmarks

    return prepare_benchmarks.prepare(
        shared or prepare_benchmarks.DEFAULT_SHARED, prepare_benchmarks.DEFAULT_OUT, only
    )


def run(args: list[str]) -> str:
    """Run a command from the repo root, streaming its log; returns its last stdout line."""
    print("$", " ".join(args), flush=True)
    proc = subprocess.run(args, cwd=REPO, stdout=subprocess.PIPE, text=True, check=True)
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def train_config(name: str) -> Path:
    """`framing train configs/benchmarks/<name>.yaml`; returns the run folder."""
    framing = str(Path(sys.executable).with_name("framing"))
    return REPO / run([framing, "train", str(CONFIGS / f"{name}.yaml"), "--quiet"])


def stance_rows(run_dir: Path, eval_set: str, label: str) -> list[tuple[str, str, str]]:
    """(benchmark, model, summary) rows from a run's metrics.json: stance per target."""
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    rows = []
    for model, block in metrics["models"].items():
        stance = block["eval"][eval_set]["stance"]
        f_avg = [b["f1_favor_against"] for b in stance.values()]
        macro = [b["macro_f1"] for b in stance.values()]
        parts = ", ".join(f"{t} {b['f1_favor_against']:.3f}" for t, b in stance.items())
        rows.append(
            (
                label,
                model,
                f"F_avg mean {sum(f_avg) / len(f_avg):.4f} ({parts}); "
                f"macro_f1 mean {sum(macro) / len(macro):.4f}; "
                f"train {block['train_seconds']:.0f}s",
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", choices=NAMES, help="benchmarks to run")
    parser.add_argument("--no-finetune", action="store_true", help="tfidf and encoder only")
    parser.add_argument("--shared", type=Path, help="datasets folder (default ../shared/datasets)")
    args = parser.parse_args(argv)
    only = list(args.only or NAMES)
    prepared = prepare(args.shared, only)
    python = sys.executable
    table: list[tuple[str, str, str]] = []
    finetuned: Path | None = None

    if prepared.get("pstance"):
        table += stance_rows(train_config("pstance"), "test", "pstance")
        if not args.no_finetune:
            run_dir = train_config("pstance_finetune")
            table += stance_rows(run_dir, "test", "pstance")
            finetuned = run_dir / "finetune" / "model"

    if prepared.get("ukraine_bias"):
        table += stance_rows(train_config("ukraine_bias"), "crowd_test", "ukraine_bias")
        table += stance_rows(
            train_config("ukraine_bias_un_only"), "crowd_test", "ukraine_bias (UN-only model)"
        )

    if prepared.get("frac"):
        configs = ["frac"] + ([] if args.no_finetune else ["frac_finetune"])
        for name in configs:
            out = Path(
                run(
                    [
                        python,
                        str(REPO / "benchmarks" / "frac.py"),
                        "--config",
                        str(CONFIGS / f"{name}.yaml"),
                    ]
                )
            )
            summary = json.loads((REPO / out / "summary.json").read_text(encoding="utf-8"))
            for model, s in summary["models"].items():
                table.append(
                    (
                        "frac (5-fold CV)",
                        model,
                        f"macro_f1 {s['macro_f1']:.4f} {s['ci']['macro_f1']}; weighted_f1 "
                        f"{s['weighted_f1']:.4f}; accuracy {s['accuracy']:.4f}",
                    )
                )

    if prepared.get("vast"):
        # Without a model trained in this invocation, vast.py takes the newest P-Stance
        # fine-tuned model on disk (and says so), or prints a skip line when there is none.
        target = [str(finetuned)] if finetuned else []
        last = run([python, str(REPO / "benchmarks" / "vast.py"), *target])
        out_file = REPO / last
        if last.endswith(".json") and out_file.is_file():
            result = json.loads(out_file.read_text(encoding="utf-8"))
            for subset in ("all", "zero_shot"):
                s = result[subset]
                table.append(
                    (
                        f"vast {subset}",
                        f"finetune ({', '.join(result['models'])})",
                        f"macro_f1 {s['macro_f1']:.4f}; f1_favor_against "
                        f"{s['f1_favor_against']:.4f}; binary_macro_f1 "
                        f"{s['binary_macro_f1']:.4f}",
                    )
                )
        else:
            print(last)

    print()
    for benchmark, model, summary in table:
        print(f"{benchmark} | {model} | {summary}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
