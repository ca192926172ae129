"""`train(config)`: read and check data, fit each model, evaluate, write one run folder."""

from __future__ import annotations

import json
import logging
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from framing.calibration import apply_calibration, calibration_errors
from framing.classifier import FramingClassifier
from framing.config import ExperimentConfig, SplitConfig, as_paths, config_to_dict, model_names
from framing.data import Example, read_examples, split_examples
from framing.errors import ConfigError, DataError, FramingError
from framing.evaluation import dev_loss, evaluate
from framing.files import dump_yaml, sha256, write_json, write_jsonl
from framing.labels import LabelSchema, load_schema
from framing.models import EpochInfo
from framing.models.torch_common import pick_device
from framing.predictions import Probabilities, predictions_from, proba_row
from framing.report import render_run_report
from framing.runs import (
    RunDir,
    abandon_run,
    finish_run,
    run_meta,
    start_run,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Datasets:
    """Checked examples for one experiment; `eval` maps a set's name to its examples."""

    schema: LabelSchema
    train: list[Example]
    dev: list[Example] | None
    eval: dict[str, list[Example]]
    files: dict[str, str]


@dataclass(frozen=True)
class RunResult:
    """What `train` produced: the run folder, all metrics and the best model's name."""

    run_dir: Path
    metrics: dict[str, Any]
    best_model: str

    def model_dir(self, name: str | None = None) -> Path:
        """The saved model folder of `name` (default: the best on dev)."""
        return self.run_dir / (name or self.best_model) / "model"


def _count_labels(examples: Sequence[Example], schema: LabelSchema) -> dict[str, Any]:
    frames = {f: sum(1 for ex in examples if ex.frames and f in ex.frames) for f in schema.frames}
    stance = {
        t: {
            label: sum(1 for ex in examples if ex.stance and ex.stance.get(t) == label)
            for label in schema.stance_labels
        }
        for t in schema.targets
    }
    soft = sum(ex.soft is not None for ex in examples)
    return {"n": len(examples), "frames": frames, "stance": stance, "soft": soft}


def _read_all(paths: list[Path], schema: LabelSchema, fields: dict[str, str]) -> list[Example]:
    examples: list[Example] = []
    seen: dict[str, Path] = {}
    for path in paths:
        for ex in read_examples(path, schema, fields):
            if ex.id in seen:
                raise DataError(
                    f"{path}: id '{ex.id}' is also in {seen[ex.id]}; ids must be unique"
                )
            seen[ex.id] = path
            examples.append(ex)
    return examples


def load_datasets(config: ExperimentConfig) -> Datasets:
    """Read every file named in the config and check it against the schema (no training)."""
    if not Path(config.schema_).is_file():
        raise ConfigError(f"schema: label schema file not found: {config.schema_}")
    schema = load_schema(config.schema_)
    unknown = [x for x in config.evaluation.favor_against if x not in schema.stance_labels]
    if schema.targets and unknown:
        raise ConfigError(
            f"evaluation.favor_against: {unknown[0]!r} is not a stance label of the schema "
            f"{config.schema_} ({', '.join(schema.stance_labels)})"
        )
    fields = config.data.fields
    keyed: dict[str, list[Path]] = {
        "train": as_paths(config.data.train),
        "dev": as_paths(config.data.dev),
    }
    for name, value in config.data.eval.items():
        keyed[f"eval.{name}"] = as_paths(value)
    for key, paths in keyed.items():
        for path in paths:
            if not Path(path).is_file():
                raise DataError(f"data.{key}: file not found: {path}")
    train = _read_all(keyed["train"], schema, fields)
    dev = _read_all(keyed["dev"], schema, fields) or None
    evals = {
        name: _read_all(as_paths(value), schema, fields) for name, value in config.data.eval.items()
    }
    if dev is None and config.data.split is not None:
        train, dev, test = _split(train, config.data.split)
        if test:
            evals = {"test": test, **evals}
    _check_soft_learners(config, train)
    _check_no_synthetic_tests(evals)
    _check_no_soft_labels({"dev": dev or [], **{f"eval.{k}": v for k, v in evals.items()}})
    _check_disjoint(train, dev, evals, set(config.data.shared_documents_ok))
    if not any(ex.frames is not None or ex.stance for ex in train):
        raise DataError("data.train: no example carries frames or stance labels")
    files = {str(path): sha256(path) for paths in keyed.values() for path in paths}
    return Datasets(schema, train, dev, evals, files)


def _split(
    train: list[Example], split: SplitConfig
) -> tuple[list[Example], list[Example] | None, list[Example]]:
    """The grouped train/dev/test split of data.split. Soft-labelled rows (a teacher's guesses)
    only ever train: they stay out of the split, and those from a document that lands in dev or
    test are left out, with a warning, so no held-out document is trained on."""
    soft = [ex for ex in train if ex.soft is not None]
    parts = split_examples(
        [ex for ex in train if ex.soft is None],
        [1 - split.dev - split.test, split.dev, split.test],
        split.seed,
    )
    held = {ex.document for ex in parts[1] + parts[2]}
    kept = [ex for ex in soft if ex.document not in held]
    if len(kept) < len(soft):
        warnings.warn(
            f"data.split: {len(soft) - len(kept)} soft-labelled rows come from documents of the "
            "split's dev or test part; they are left out of training",
            UserWarning,
            stacklevel=3,
        )
    return parts[0] + kept, parts[1] or None, parts[2]


def _check_soft_learners(config: ExperimentConfig, train: list[Example]) -> None:
    """Soft labels train the `finetune` kind's frame head and per-target stance heads only:
    refuse them, before any training, for a model that would ignore them."""
    soft = next((ex for ex in train if ex.soft is not None), None)
    if soft is None:
        return
    for i, model in enumerate(config.models):
        if model.kind != "finetune":
            raise DataError(
                f"models[{i}] (kind {model.kind}): data.train has soft labels (e.g. {soft.id!r}), "
                "which only kind finetune learns from; train it in a config without that file"
            )
        if model.stance_input == "pair" and any((ex.soft or {}).get("stance") for ex in train):
            raise DataError(
                f"models[{i}].stance_input: pair learns stance from gold labels only, and "
                f"data.train has soft stance labels (e.g. {soft.id!r}); use one_pass or both"
            )


def _check_no_synthetic_tests(evals: dict[str, list[Example]]) -> None:
    """Team-written text (`synthetic: true`) may train and tune a model but never measure it."""
    for name, examples in evals.items():
        synthetic = [ex.id for ex in examples if ex.extra.get("synthetic") is True]
        if synthetic:
            raise DataError(
                f"data.eval.{name}: {len(synthetic)} rows are flagged synthetic: true (e.g. "
                f"{synthetic[0]!r}); team-written text trains and tunes models but is never a "
                "test set (list its file under data.train or data.dev)"
            )


def _check_no_soft_labels(sets: dict[str, list[Example]]) -> None:
    """Soft labels (a teacher's guesses) train a student; they never choose or measure a model."""
    for name, examples in sets.items():
        soft = [ex.id for ex in examples if ex.soft is not None]
        if soft:
            raise DataError(
                f"data.{name}: {len(soft)} rows carry soft labels (e.g. {soft[0]!r}); a teacher's "
                "probabilities may train a finetune student but never tune or test a model "
                "(list that file under data.train)"
            )


def _check_disjoint(
    train: list[Example],
    dev: list[Example] | None,
    evals: dict[str, list[Example]],
    shared_ok: set[str] = frozenset(),  # type: ignore[assignment]
) -> None:
    """A document (or sentence) in train and in dev/eval would inflate every score: refuse it."""
    train_docs = {ex.document for ex in train}
    train_ids = {ex.id for ex in train}
    train_texts = {ex.text for ex in train}
    for name, examples in ([("dev", dev)] if dev else []) + list(evals.items()):
        same = [ex.id for ex in examples if ex.id in train_ids or ex.text in train_texts]
        if same:
            raise DataError(
                f"data.{name}: {len(same)} sentence(s) also in train (e.g. {same[0]!r}); "
                "evaluation sentences must be unseen"
            )
        if name in shared_ok:
            continue
        shared = sorted(train_docs & {ex.document for ex in examples})
        if shared:
            raise DataError(
                f"data.{name}: {len(shared)} document(s) also in train (e.g. {shared[0]!r}); "
                "splits must be grouped by doc_id"
            )


def prediction_rows(
    examples: Sequence[Example], proba: Probabilities, thresholds: dict[str, float]
) -> list[dict[str, Any]]:
    """One JSON row per example: id, source, gold labels, predicted labels, probabilities."""
    preds = predictions_from(proba, thresholds)
    rows = []
    for i, (ex, pred) in enumerate(zip(examples, preds)):
        gold: dict[str, Any] = {}
        if ex.frames is not None:
            gold["frames"] = list(ex.frames)
        if ex.stance:
            gold["stance"] = dict(ex.stance)
        rows.append(
            {
                "id": ex.id,
                "source": ex.source,
                "gold": gold,
                "pred": {"frames": pred.frames, "stance": pred.stance},
                "proba": proba_row(proba, i),
            }
        )
    return rows


def evaluate_sets(
    clf: FramingClassifier,
    sets: dict[str, list[Example]],
    config: ExperimentConfig,
    out_dir: Path | None,
    show_progress: bool = False,
) -> dict[str, Any]:
    """Metrics for each named set (and predictions files when `out_dir` is given)."""
    ev = config.evaluation
    results = {}
    for name, examples in sets.items():
        raw = clf.predict_proba(
            [ex.text for ex in examples], show_progress=show_progress, calibrated=False
        )
        proba = apply_calibration(raw, clf.calibration_)
        results[name] = evaluate(
            examples,
            proba,
            clf.schema_,
            clf.thresholds,
            bootstrap=ev.bootstrap,
            ci=ev.ci,
            favor_against=ev.favor_against,
            calibration_bins=ev.calibration_bins,
            seed=config.train.seed,
        )
        results[name]["loss"] = dev_loss(examples, proba, clf.schema_)
        if clf.calibration_:
            results[name]["ece_before_calibration"] = calibration_errors(
                examples, raw, clf.schema_, ev.calibration_bins
            )
        if out_dir is not None:
            (out_dir / "predictions").mkdir(exist_ok=True)
            file = "dev.jsonl" if name == "dev" else f"eval-{name}.jsonl"
            write_jsonl(
                out_dir / "predictions" / file, prediction_rows(examples, proba, clf.thresholds)
            )
    return results


def _history_row(info: EpochInfo) -> dict[str, Any]:
    return {
        "epoch": info.epoch,
        "step": info.step,
        "train_loss": info.train_loss,
        "seconds": round(info.seconds, 3),
        **{f"dev_{k}": v for k, v in info.dev.items()},
    }


def _fit_one(
    index: int, config: ExperimentConfig, data: Datasets, out_dir: Path, show_progress: bool
) -> dict[str, Any]:
    model = config.models[index]
    clf = FramingClassifier(kind=model.kind, schema=data.schema, model=model, train=config.train)
    out_dir.mkdir()
    history = out_dir / "history.jsonl"
    start = time.perf_counter()

    def log_epoch(info: EpochInfo) -> None:
        row = _history_row(info)
        with open(history, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row) + "\n")
        logger.info("%s epoch %d: %s", out_dir.name, info.epoch, row)

    clf.fit(data.train, data.dev, show_progress=show_progress, on_epoch=log_epoch)
    seconds = time.perf_counter() - start
    sets = ({"dev": data.dev} if data.dev else {}) | data.eval
    results = evaluate_sets(clf, sets, config, out_dir, show_progress)
    clf.save(out_dir / "model")
    metrics = {
        "kind": model.kind,
        "train_seconds": round(seconds, 2),
        "thresholds": clf.thresholds,
        "dev": results.pop("dev", None),
        "eval": results,
    }
    write_json(out_dir / "metrics.json", metrics)
    return metrics


def _device(config: ExperimentConfig) -> str:
    """The device the run actually used: tfidf always runs on the CPU."""
    if any(m.kind != "tfidf" for m in config.models):
        return pick_device(config.train.device)
    return "cpu"


def train(
    config: ExperimentConfig,
    *,
    output: Path | None = None,
    show_progress: bool = False,
    argv: Sequence[str] | None = None,
) -> RunResult:
    """Run one experiment and write its run folder (see STYLE.md section 8).

    Data are read and checked before any folder is made; the folder is renamed into place only
    once every model is trained, evaluated and saved.
    """
    started = datetime.now(timezone.utc)
    data = load_datasets(config)
    run = start_run(config.output_dir, config.name, output)
    handler = logging.FileHandler(run.tmp / "train.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("framing")
    root.addHandler(handler)
    try:
        result = _train_into(run, config, data, started, show_progress, argv)
    except FramingError:
        root.removeHandler(handler)
        handler.close()
        abandon_run(run, keep=False)
        raise
    except BaseException:
        root.removeHandler(handler)
        handler.close()
        logger.error("run interrupted; the partial folder %s is kept for inspection", run.tmp)
        abandon_run(run, keep=True, reason="interrupted (Ctrl-C or an unexpected error)")
        raise
    root.removeHandler(handler)
    handler.close()
    final = finish_run(run)
    logger.info("run written to %s", final)
    return RunResult(final, result["metrics"], result["best"])


def _train_into(
    run: RunDir,
    config: ExperimentConfig,
    data: Datasets,
    started: datetime,
    show_progress: bool,
    argv: Sequence[str] | None,
) -> dict[str, Any]:
    (run.tmp / "config.yaml").write_text(dump_yaml(config_to_dict(config)), encoding="utf-8")
    counts = {"train": _count_labels(data.train, data.schema)}
    if data.dev:
        counts["dev"] = _count_labels(data.dev, data.schema)
    counts.update({name: _count_labels(ex, data.schema) for name, ex in data.eval.items()})
    per_model: dict[str, Any] = {}
    for index, name in enumerate(model_names(config)):
        logger.info(
            "training %s (%s) on %d examples", name, config.models[index].kind, len(data.train)
        )
        per_model[name] = _fit_one(index, config, data, run.tmp / name, show_progress)
    best = _best_model(per_model, config.train.select_on)
    metrics = {
        "select_on": f"dev {config.train.select_on}",
        "best_model": best,
        "label_counts": counts,
        "models": per_model,
    }
    write_json(run.tmp / "metrics.json", metrics)
    (run.tmp / "report.md").write_text(render_run_report(config.name, metrics), encoding="utf-8")
    write_jsonl(run.tmp / "splits.jsonl", _split_rows(data))
    finished = datetime.now(timezone.utc)
    write_json(
        run.tmp / "meta.json",
        run_meta(
            started=started,
            finished=finished,
            data_files=data.files,
            device=_device(config),
            argv=argv,
        ),
    )
    return {"metrics": metrics, "best": best}


def _split_rows(data: Datasets) -> list[dict[str, Any]]:
    """Which example went to which split: makes generated splits reproducible and auditable."""
    rows = [{"id": ex.id, "doc_id": ex.doc_id, "split": "train"} for ex in data.train]
    rows += [{"id": ex.id, "doc_id": ex.doc_id, "split": "dev"} for ex in data.dev or []]
    for name, examples in data.eval.items():
        rows += [{"id": ex.id, "doc_id": ex.doc_id, "split": f"eval:{name}"} for ex in examples]
    return rows


def _best_model(per_model: dict[str, Any], select_on: str) -> str:
    """The model with the best dev score: highest macro-F1, or lowest loss for 'loss'."""

    def score(item: tuple[str, Any]) -> float:
        value = (item[1].get("dev") or {}).get(select_on)
        if value is None or value != value:  # missing or NaN
            return float("-inf")
        return -float(value) if select_on == "loss" else float(value)

    return max(per_model.items(), key=score)[0]


def check(config: ExperimentConfig) -> dict[str, Any]:
    """Read and check config and data, train nothing; returns label counts per split."""
    data = load_datasets(config)
    counts = {"train": _count_labels(data.train, data.schema)}
    if data.dev:
        counts["dev"] = _count_labels(data.dev, data.schema)
    counts.update({name: _count_labels(ex, data.schema) for name, ex in data.eval.items()})
    return {"schema": data.schema.to_dict(), "counts": counts, "files": data.files}
