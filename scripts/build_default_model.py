"""Build the packaged default model `geopolitics` from a trained run (`make default-model`).

Exports the run's finetune model to int8 ONNX, evaluates the export itself on the run config's
evaluation sets (95% document-bootstrap CIs), writes the model card (README.md) into the folder
and installs it as src/framing/pretrained/geopolitics/, replacing the old one only once the new
one is complete. The evaluation goes to benchmarks/results/default_model.json.

    python scripts/build_default_model.py experiments/runs/<run> [--model finetune]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from framing import FramingClassifier
from framing.calibration import apply_calibration, calibration_errors
from framing.config import config_to_dict, load_config
from framing.errors import FramingError
from framing.evaluation import evaluate
from framing.export import export_onnx
from framing.files import write_json
from framing.languages import trained_languages
from framing.modelfolder import INDEX, read_index, write_index
from framing.pretrained import DEFAULT_MODEL, HERE
from framing.training import load_datasets

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "default_model.json"
MAX_MB = 40.0
FAVG = "f1_favor_against"  # F_avg: the mean F1 of favor and against


def _ci(block: dict[str, Any], key: str) -> str:
    low, high = block.get(f"{key}_ci") or (None, None)
    value = block[key]
    return f"{value:.2f} [{low:.2f}, {high:.2f}]" if low is not None else f"{value:.2f}"


def _rows(metrics: dict[str, dict[str, Any]]) -> list[str]:
    """One markdown row per evaluation set: frame macro-F1 and stance F_avg per target."""
    targets = sorted({t for m in metrics.values() for t in m.get("stance", {})})
    head = "| set | sentences | frames macro-F1 | " + " | ".join(f"{t} F_avg" for t in targets)
    rows = [head + " |", "|---|---:|---|" + "---|" * len(targets)]
    for name, m in metrics.items():
        stance = [
            _ci(m["stance"][t], "f1_favor_against") if t in m["stance"] else "-" for t in targets
        ]
        rows.append(
            f"| {name} | {m['n']} | {_ci(m['frames'], 'macro_f1')} | " + " | ".join(stance) + " |"
        )
    return rows


def _card(
    run: Path, index: dict[str, Any], metrics: dict[str, Any], size_mb: float, soft: int
) -> str:
    schema = index["schema"]
    lines = [
        f"# Model card: `{DEFAULT_MODEL}`",
        "",
        "The default model of `framing`, shipped inside the package: "
        '`FramingClassifier.load("geopolitics")` works offline with no training.',
        "",
        "## What it is",
        f"- all-MiniLM-L6-v2 (Apache-2.0) fine-tuned end to end (`finetune`, "
        f"stance_input `{index['params'].get('stance_input')}`): one encoder pass gives the "
        "frames and the stance toward every schema target.",
        f"- int8 ONNX (dynamic quantisation of the MatMul weights, fp16 embedding tables), "
        f"{size_mb:.1f} MB on disk; needs onnxruntime and transformers' tokenizer, not torch.",
        f"- Frames: {', '.join(schema['frames'])}. Stance targets: "
        f"{', '.join(schema['targets'])} (labels {', '.join(schema['stance_labels'])}).",
        "- Probabilities calibrated on dev (Platt per frame, a temperature per target); "
        "frame thresholds tuned on dev: "
        + ", ".join(f"{k} {v:.2f}" for k, v in index["thresholds"].items()),
        f"- Trained with the data, model and training settings of configs/geopolitics.yaml "
        f"(run `{run.name}`; its resolved config is `trained_with` in framing.json); "
        "`make default-model` rebuilds it.",
        "",
        "## Training data",
        "UN General Debate sentences (public domain; enriched sample, split by speech), the "
        "Ukraine-crisis news sentences (CC BY-NC 4.0) and the team-written news corpus "
        "(`synthetic: true`, train/dev only); see data/README.md for counts, agreement (α) and "
        "how sentences were selected.",
        *(
            [
                "",
                f"Distilled: {soft} unlabelled UN sentences (none from a UN dev or test speech) "
                "carry a teacher ensemble's probabilities (data/distill/, see its card), which "
                "the model learns as soft labels next to the gold ones.",
            ]
            if soft
            else []
        ),
        "",
        "## Metrics of this int8 model (95% document-bootstrap CIs)",
        *_rows(metrics),
        "",
        "`un_test`: held-out UN speeches (enriched like training); `un_random`: a uniform random "
        "sample of UN sentences (the corpus as it is: frames are rare there); `news_test`: "
        "held-out Ukraine-crisis news articles; `news_real`: openly licensed real government "
        "statements and news, never trained on (PROVENANCE in data/news_real/).",
        "",
        "## Limits",
        "- English only: texts detected in another language give one warning (see "
        "`on_other_language`), and their labels are not validated.",
        "- Trained on speeches and news about 2014-2025 geopolitics; other domains are untested.",
        "- Rare frames (isolation, multipolarity) have wide CIs; use `framing compare` with a "
        "gold sample for prevalence, not raw counts.",
        "- Free-text stance targets need a model trained with stance_input `both` or `pair`.",
        "- A sentence's scores depend slightly on the sentences scored with it: dynamic int8 "
        "quantisation scales each layer's activations over the whole batch. About 0.6% of "
        "label decisions change between batches of 64 and one sentence at a time "
        "(`benchmarks/batch_consistency.py`; the torch model: none). Where one sentence's "
        "label must not depend on its neighbours, score with the torch model.",
        "",
        "## Licence",
        "Weights: Apache-2.0 (base model) and the project's MIT licence for the fine-tuning; the "
        "Ukraine-news training data (data/news/train.jsonl) is CC BY-NC 4.0, so treat the "
        "model as for non-commercial research unless you rebuild it without that set.",
    ]
    return "\n".join(lines) + "\n"


def build(run: Path, model_name: str, dest: Path) -> dict[str, Any]:
    """Export, evaluate, write the card and install; returns the evaluation."""
    config = load_config(run / "config.yaml")
    data = load_datasets(config)
    with tempfile.TemporaryDirectory(dir=dest.parent) as tmp:
        trained = FramingClassifier.load(run / model_name / "model")
        if not trained.languages_:  # runs from before language detection did not record them
            trained.languages_ = tuple(trained_languages([ex.text for ex in data.train]))
        if data.dev:  # calibration and thresholds from the run's dev set (older runs had none)
            trained.calibrate(data.dev)
        torch_dir = trained.save(Path(tmp) / "torch")
        folder = export_onnx(torch_dir, Path(tmp) / DEFAULT_MODEL)
        clf = FramingClassifier.load(folder)
        metrics, ece_before = {}, {}
        for name, examples in data.eval.items():
            raw = clf.predict_proba([ex.text for ex in examples], calibrated=False)
            proba = apply_calibration(raw, clf.calibration_)
            metrics[name] = evaluate(examples, proba, clf.schema_, clf.thresholds)
            ece_before[name] = calibration_errors(examples, raw, clf.schema_)
        size_mb = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        soft = sum(ex.soft is not None for ex in data.train)
        if size_mb > MAX_MB:
            raise FramingError(f"the int8 folder is {size_mb:.1f} MB, over the {MAX_MB} MB limit")
        index = read_index(folder)
        (folder / "README.md").write_text(
            _card(run, index, metrics, size_mb, soft), encoding="utf-8"
        )
        kept = {k: v for k, v in index.items() if k not in ("format", "versions", "files")}
        params = {k: v for k, v in kept["params"].items() if k != "base"}  # a builder's path
        write_index(
            folder,
            {
                **kept,
                "params": params,
                "exported_from": {  # the torch index's hash, not the temporary path
                    **{k: v for k, v in kept["exported_from"].items() if k != "path"},
                    "run": run.name,
                    "model": model_name,
                },
                "trained_with": config_to_dict(config),
            },
        )
        for file in folder.iterdir():  # temporary folders are private; a package is not
            file.chmod(0o644)
        folder.chmod(0o755)
        old = dest.with_name(dest.name + ".old")
        shutil.rmtree(old, ignore_errors=True)  # left by a crash between the two renames
        if dest.exists():
            dest.rename(old)
        folder.rename(dest)
        shutil.rmtree(old, ignore_errors=True)
    result = {
        "run": run.name,
        "model": model_name,
        "size_mb": round(size_mb, 2),
        "ece_before_calibration": ece_before,
        "eval": metrics,
    }
    write_json(RESULTS, result)
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run", type=Path, help="a run folder written by `framing train`")
    parser.add_argument("--model", default="finetune", help="model name inside the run")
    parser.add_argument("--dest", type=Path, default=HERE / DEFAULT_MODEL)
    args = parser.parse_args()
    try:
        if not (args.run / args.model / "model" / INDEX).is_file():
            raise FramingError(f"{args.run}: no trained model '{args.model}' in this run folder")
        result = build(args.run, args.model, args.dest)
    except FramingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for name, m in result["eval"].items():
        print(f"{name}: frames macro-F1 {m['frames']['macro_f1']:.3f}")
    print(f"installed {args.dest} ({result['size_mb']} MB); card and framing.json inside")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
