"""The `framing` command line: each command is a thin wrapper over one library function."""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
import tempfile
import traceback
import warnings
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional, TypeVar

import typer

from framing.annotate import (
    agreement,
    export_labels,
    load_annotate_config,
    open_project,
    read_project,
    serve,
)
from framing.compare import compare, draw_gold_sample, load_compare_config
from framing.config import load_config
from framing.errors import FramingError
from framing.export import export_onnx
from framing.inference import evaluate_model, predict_file
from framing.scoring import EngineOptions, score
from framing.training import check, train

app = typer.Typer(
    help="Stance and framing analysis of political text: train, evaluate, predict, compare.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])


def _crash_log(exc: BaseException) -> Path:
    """Write the traceback of an unexpected error to a log file and return its path."""
    folder = Path(tempfile.gettempdir()) / "framing-logs"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    path = folder / f"error-{stamp}-{os.getpid()}.log"
    text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    path.write_text(f"framing {' '.join(sys.argv[1:])}\n\n{text}", encoding="utf-8")
    return path


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _warning_line(message: Warning | str, *args: Any, **kwargs: Any) -> None:
    """A warning as one `warning: ...` line on stderr, without Python's file:line prefix."""
    typer.echo(f"warning: {_one_line(str(message))}", err=True)


def _friendly(func: F) -> F:
    """Anticipated errors print one clean line and exit 1; an unexpected one prints one line
    with the path of a log holding its traceback, and exits 2. Warnings print one line each."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.showwarning = _warning_line
                return func(*args, **kwargs)
        except FramingError as exc:
            typer.echo(f"error: {_one_line(str(exc))}", err=True)
            raise typer.Exit(1) from None
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            raise typer.Exit(130) from None
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, a log
            try:
                where = f"traceback in {_crash_log(exc)}"
            except OSError:
                where = "no log could be written"
            message = _one_line(f"{type(exc).__name__}: {exc}")
            typer.echo(f"error: unexpected {message} ({where}; please report it)", err=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]


def _bars(quiet: bool) -> bool:
    """Progress bars unless --quiet, and only on a terminal (a log file gets no bar lines)."""
    stream = sys.stderr
    return not quiet and stream is not None and stream.isatty()


def _setup_logging(quiet: bool) -> None:
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(asctime)s %(message)s",
        datefmt="%H:%M:%S",
        stream=sys.stderr,
    )


@app.command("train")
@_friendly
def train_cmd(
    config: Path = typer.Argument(..., help="Experiment config (YAML)."),
    set_: list[str] = typer.Option([], "--set", help="Override a key: --set train.lr=3e-5"),
    output: Optional[Path] = typer.Option(None, help="Run folder (must not exist)."),  # noqa: UP045
    device: Optional[str] = typer.Option(None, help="auto, cpu or cuda."),  # noqa: UP045
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars or info logs."),
) -> None:
    """Train every model in CONFIG and write a run folder under experiments/runs/."""
    _setup_logging(quiet)
    overrides = list(set_) + ([f"train.device={device}"] if device else [])
    cfg = load_config(config, overrides)
    result = train(cfg, output=output, show_progress=_bars(quiet), argv=sys.argv)
    typer.echo(f"best model: {result.best_model}")
    typer.echo(str(result.run_dir))


@app.command("check")
@_friendly
def check_cmd(
    config: Path = typer.Argument(..., help="Experiment config (YAML)."),
    set_: list[str] = typer.Option([], "--set", help="Override a key: --set train.lr=3e-5"),
) -> None:
    """Check CONFIG and read all of its data against the label schema; trains nothing."""
    summary = check(load_config(config, list(set_)))
    typer.echo(f"config {config}: OK")
    for split, counts in summary["counts"].items():
        frames = ", ".join(f"{k} {v}" for k, v in counts["frames"].items())
        stance = "; ".join(
            f"{t}: " + ", ".join(f"{k} {v}" for k, v in labels.items())
            for t, labels in counts["stance"].items()
        )
        soft = f" | soft labels (a teacher's): {counts['soft']}" if counts.get("soft") else ""
        typer.echo(
            f"  {split}: {counts['n']} examples | frames: {frames or '-'} | stance: {stance or '-'}"
            + soft
        )


@app.command("evaluate")
@_friendly
def evaluate_cmd(
    model: Path = typer.Argument(..., help="Model folder (a run's <model>/model)."),
    data: Path = typer.Argument(..., help="Labelled JSONL or CSV in the canonical schema."),
    name: Optional[str] = typer.Option(None, help="Name of this set in the output."),  # noqa: UP045
    output: Optional[Path] = typer.Option(None, help="Folder for metrics.json and predictions."),  # noqa: UP045
    bootstrap: int = typer.Option(1000, min=0, help="Bootstrap resamples for the CIs (0: none)."),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Evaluate a saved model on a labelled set: metrics with CIs, calibration, predictions."""
    _setup_logging(quiet)
    result = evaluate_model(
        model, data, name=name, output=output, bootstrap=bootstrap, show_progress=_bars(quiet)
    )
    typer.echo(
        json.dumps({"macro_f1": result.metrics.get("macro_f1"), "output": str(result.output)})
    )


@app.command("predict")
@_friendly
def predict_cmd(
    model: Path = typer.Argument(..., help="Model folder."),
    input: str = typer.Argument(
        "-", help="JSONL, CSV, plain text (one sentence per line), an article folder; - stdin."
    ),
    output: Optional[Path] = typer.Option(None, help="JSONL output file (default stdout)."),  # noqa: UP045
    text_field: str = typer.Option("text", help="Column holding the text in JSONL/CSV input."),
    target: list[str] = typer.Option([], help="Stance target to ask about (repeatable)."),
    batch_size: int = typer.Option(64, min=1, help="Sentences per batch."),
    articles: bool = typer.Option(
        False, "--articles", help="Records are whole articles: split them into sentences."
    ),
    on_other_language: str = typer.Option(
        "warn", help="Texts in a language the model was not trained for: warn, refuse, ignore."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Predict frames and stance with probabilities; writes one JSON line per sentence. INPUT may
    also be a folder of .txt/.html articles with a metadata.csv, or a saved dataset."""
    n = predict_file(
        model,
        input,
        output,
        text_field=text_field,
        targets=target or None,
        batch_size=batch_size,
        show_progress=_bars(quiet),
        articles=articles,
        on_other_language=on_other_language,
    )
    if output is not None:
        typer.echo(f"{n} predictions written to {output}", err=True)


@app.command("score")
@_friendly
def score_cmd(
    corpus: Path = typer.Argument(
        ..., help="JSONL, CSV (gzipped or not), Parquet, a saved dataset or a folder of articles."
    ),
    output: Path = typer.Option(..., help="Scored folder; rerun the same command to resume."),
    model: str = typer.Option("geopolitics", help="Model folder or packaged model name."),
    engine: str = typer.Option("local", help="local (this process) or ray (Ray Data)."),
    workers: Optional[int] = typer.Option(None, help="Ray actors (default: one per CPU)."),  # noqa: UP045
    cpus_per_worker: float = typer.Option(1.0, help="CPUs each Ray actor reserves."),
    address: Optional[str] = typer.Option(None, help="Ray cluster address (default: local)."),  # noqa: UP045
    shard_size: int = typer.Option(50_000, help="Sentences per Parquet shard."),
    batch_size: int = typer.Option(64, help="Sentences per model batch."),
    chunk_rows: int = typer.Option(1024, help="Sentences per unit of work (a Ray task)."),
    field: list[str] = typer.Option([], help="Column mapping CANONICAL=COLUMN, e.g. text=body."),
    segment: bool = typer.Option(False, "--segment", help="Records are whole documents: split."),
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Score every sentence of CORPUS into Parquet shards (predictions and probabilities per
    sentence), resumable after any interruption; `compare` reads the folder via `scores:`."""
    _setup_logging(quiet)
    options = EngineOptions(engine, workers, cpus_per_worker, address, chunk_rows, batch_size)
    fields = _field_mapping(field)
    result = score(
        corpus,
        model,
        output,
        fields=fields,
        segment=segment,
        shard_size=shard_size,
        options=options,
        show_progress=_bars(quiet),
    )
    typer.echo(
        f"{result.n_rows} sentences in {result.n_shards} shards ({result.n_scored} scored now, "
        f"{result.seconds:.1f} s)",
        err=True,
    )
    typer.echo(str(result.output))


def _field_mapping(items: list[str]) -> dict[str, str]:
    """--field CANONICAL=COLUMN items as a mapping."""
    out = {}
    for item in items:
        name, sep, column = item.partition("=")
        if not sep or not name or not column:
            raise FramingError(f"--field {item!r}: expected CANONICAL=COLUMN, e.g. text=body")
        out[name] = column
    return out


@app.command("compare")
@_friendly
def compare_cmd(
    config: Path = typer.Argument(
        ..., help="Comparison config (YAML), e.g. configs/compare/un_default.yaml."
    ),
    set_: list[str] = typer.Option([], "--set", help="Override a key: --set bootstrap.n=200"),
    model: Path | None = typer.Option(None, help="Model folder (overrides the config's `model`)."),  # noqa: UP045
    output: Optional[Path] = typer.Option(None, help="Output folder (must not exist)."),  # noqa: UP045
    from_: Optional[str] = typer.Option(None, "--from", help="Window start: YYYY-MM-DD."),  # noqa: UP045
    to: Optional[str] = typer.Option(None, "--to", help="Window end: YYYY-MM-DD (included)."),  # noqa: UP045
    quiet: bool = typer.Option(False, "--quiet", "-q"),
) -> None:
    """Prevalence of each frame and stance per source, group and period, corrected for model
    error, with bootstrap CIs: writes estimates.csv, report.md and report.html."""
    _setup_logging(quiet)
    overrides = _compare_overrides(set_, model, from_, to)
    result = compare(load_compare_config(config, overrides), output, show_progress=_bars(quiet))
    typer.echo(str(result.output_dir))


def _compare_overrides(
    set_: list[str], model: Path | None, start: str | None, end: str | None
) -> list[str]:
    """--set overrides plus those of --model, --from and --to (dates kept as strings)."""
    overrides = list(set_) + ([f"model={model}"] if model is not None else [])
    overrides += [f"window.from='{start}'"] if start else []
    return overrides + ([f"window.to='{end}'"] if end else [])


@app.command("gold-sample")
@_friendly
def gold_sample_cmd(
    config: Path = typer.Argument(..., help="Comparison config (YAML)."),
    n: int = typer.Argument(..., help="Number of sentences to draw."),
    output: Path = typer.Option(..., help="New .jsonl or .csv file to write."),
    seed: int = typer.Option(0, help="Random seed of the draw."),
    set_: list[str] = typer.Option([], "--set", help="Override a config key."),
    model: Path | None = typer.Option(None, help="Model folder (its labels become columns)."),  # noqa: UP045
    from_: Optional[str] = typer.Option(None, "--from", help="Window start: YYYY-MM-DD."),  # noqa: UP045
    to: Optional[str] = typer.Option(None, "--to", help="Window end: YYYY-MM-DD (included)."),  # noqa: UP045
) -> None:
    """Draw a seeded uniform random sample of N corpus sentences for gold labelling, with empty
    label columns (frames, stance.<target>) and context; set `gold_sample:` to it once labelled."""
    cfg = load_compare_config(config, _compare_overrides(set_, model, from_, to))
    written = draw_gold_sample(cfg, n, output, seed=seed)
    typer.echo(f"{written} sentences written to {output}")


@app.command("export")
@_friendly
def export_cmd(
    model: Path = typer.Argument(..., help="Model folder of kind encoder or finetune."),
    output: Path = typer.Option(..., help="New folder for the ONNX model."),
    onnx: bool = typer.Option(True, "--onnx", help="Export for ONNX Runtime (the only format)."),
    quantize: bool = typer.Option(True, help="Dynamic int8 quantisation of the MatMul weights."),
) -> None:
    """Export a model for fast CPU inference with ONNX Runtime (int8 by default); the folder
    loads with FramingClassifier.load and every command that takes a model."""
    typer.echo(str(export_onnx(model, output, quantize=quantize)))


@app.command("annotate")
@_friendly
def annotate_cmd(
    project: Path = typer.Argument(
        ..., help="Annotation project (YAML), e.g. configs/annotate/example.yaml."
    ),
    host: str = typer.Option("127.0.0.1", help="Address to serve on (keep it local)."),
    port: int = typer.Option(8765, min=1, max=65535, help="Port to serve on."),
    set_: list[str] = typer.Option([], "--set", help="Override a key: --set database=x.sqlite"),
) -> None:
    """Label sentences in the browser: makes the project's new draws, then serves it locally
    (keyboard shortcuts, undo, skip, flag, notes; every answer saved at once in SQLite)."""
    _setup_logging(quiet=False)
    cfg = load_annotate_config(project, list(set_))
    store, schema = open_project(cfg)
    typer.echo(f"{store.count_items()} sentences in {store.path}")
    typer.echo(f"open http://{host}:{port}/ (Ctrl-C stops; every answer is already saved)")
    serve(store, schema, cfg, host, port)


@app.command("agreement")
@_friendly
def agreement_cmd(
    project: Path = typer.Argument(..., help="Annotation project (YAML)."),
    set_: list[str] = typer.Option([], "--set", help="Override a config key."),
) -> None:
    """Krippendorff's α per frame and target over the sentences two or more annotators labelled."""
    store, schema = read_project(load_annotate_config(project, list(set_)))
    with store:
        rows = agreement(store, schema)
    typer.echo("label\tkind\talpha\titems\tdisagreements")
    for row in rows:
        alpha = "-" if row.alpha is None else f"{row.alpha:.3f}"
        reason = f"\t({row.reason})" if row.reason else ""
        typer.echo(f"{row.label}\t{row.kind}\t{alpha}\t{row.items}\t{row.disagreements}{reason}")


@app.command("annotate-export")
@_friendly
def annotate_export_cmd(
    project: Path = typer.Argument(..., help="Annotation project (YAML)."),
    output: Path = typer.Option(..., help="New .jsonl file to write."),
    annotator: Optional[str] = typer.Option(None, help="Only this annotator's answers."),  # noqa: UP045
    history: bool = typer.Option(False, "--history", help="Add each item's logged actions."),
    set_: list[str] = typer.Option([], "--set", help="Override a config key."),
) -> None:
    """Write the labels as canonical JSONL: the decision where adjudicated, else the agreed (or
    first) annotator's label, with `selection`, `adjudicated` and `annotators`."""
    _setup_logging(quiet=False)
    store, _ = read_project(load_annotate_config(project, list(set_)))
    with store:
        n = export_labels(store, output, annotator=annotator, with_history=history)
    typer.echo(f"{n} labelled sentences written to {output}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
