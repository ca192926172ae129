"""The CLI: one happy path and one user-error path per command (exit 1, one line, no traceback)."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from framing.cli import app

from conftest import write_config

runner = CliRunner()


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli")
    result = runner.invoke(
        app, ["train", str(write_config(tmp)), "--quiet", "--set", "evaluation.bootstrap=20"]
    )
    assert result.exit_code == 0, result.output
    run_dir = result.output.strip().splitlines()[-1]
    return tmp, f"{run_dir}/tfidf/model"


def _is_clean_error(result):
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines[0].startswith("error: ")
    return lines[0]


def test_cli_train_and_bad_override(trained, tmp_path):
    tmp, model = trained
    assert (tmp / "runs").is_dir()
    result = runner.invoke(app, ["train", str(write_config(tmp_path)), "--set", "train.lr=-1"])
    line = _is_clean_error(result)
    assert "train.lr: Input should be greater than 0" in line


def test_cli_check(tmp_path, tiny_path):
    result = runner.invoke(app, ["check", str(write_config(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "OK" in result.output and "train:" in result.output and "multipolarity" in result.output
    result = runner.invoke(app, ["check", str(tmp_path / "missing.yaml")])
    assert "config file not found" in _is_clean_error(result)


def test_cli_check_counts_soft_labelled_training_rows(tmp_path, tiny_path):
    soft = {"stance": {"russia": {"favor": 0.2, "against": 0.3, "none": 0.5}}}
    rows = tmp_path / "soft.jsonl"
    rows.write_text(
        "".join(
            json.dumps({"id": f"t{i}", "text": "Unlabelled.", "soft": soft}) + "\n"
            for i in range(4)
        )
    )
    config = write_config(tmp_path, kinds=("finetune",))
    text = config.read_text().replace(f"train: {tiny_path}", f"train: [{tiny_path}, {rows}]")
    config.write_text(text.replace("kind: finetune", "kind: finetune\n  stance_input: one_pass"))
    result = runner.invoke(app, ["check", str(config)])
    assert result.exit_code == 0, result.output
    train_line = next(line for line in result.output.splitlines() if "train:" in line)
    assert train_line.endswith("soft labels (a teacher's): 4")
    assert "soft labels" not in result.output.replace(train_line, "")


def test_cli_predict_jsonl_text_and_stdin(trained, tmp_path):
    _, model = trained
    source = tmp_path / "in.txt"
    source.write_text("This alliance signals a commitment to multipolarity.\n\nSanctions bite.\n")
    out = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["predict", model, str(source), "--output", str(out), "-q"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 2 and set(rows[0]) == {"id", "text", "lang", "frames", "stance", "proba"}
    assert rows[0]["lang"] == "en"
    assert set(rows[0]["proba"]["stance"]) == {"russia", "the_west"}
    result = runner.invoke(app, ["predict", model, "-", "-q"], input="One.\nTwo.\n")
    assert result.exit_code == 0 and len(result.stdout.strip().splitlines()) == 2
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1, "body": "x"}\n')
    line = _is_clean_error(runner.invoke(app, ["predict", model, str(bad), "-q"]))
    assert "bad.jsonl line 1: field 'text' is missing" in line
    assert not list(tmp_path.glob(".*.partial"))
    bad.write_text('{"id": 1, "text": 42}\n')
    line = _is_clean_error(runner.invoke(app, ["predict", model, str(bad), "-q"]))
    assert "bad.jsonl line 1: field 'text' must be a string (the sentence), found number 42" in line
    blank = tmp_path / "blank.txt"
    blank.write_text("\n  \n")
    out = tmp_path / "blank_out.jsonl"
    line = _is_clean_error(runner.invoke(app, ["predict", model, str(blank), "--output", str(out)]))
    assert "blank.txt: no text found (empty or blank)" in line and not out.exists()


def test_cli_predict_warns_once_about_other_languages(trained, tmp_path):
    _, model = trained
    source = tmp_path / "mixed.txt"
    source.write_text("Санкции отрезали Москву от мировых рынков.\nRussia is not isolated.\n")
    out = tmp_path / "out.jsonl"
    argv = ["predict", model, str(source), "--output", str(out), "-q", "--batch-size", "1"]
    result = runner.invoke(app, argv)
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if "languages this model" in line]
    assert len(lines) == 1  # one line, without Python's "file.py:184: UserWarning:" prefix
    assert re.match(r"warning: 1 of 2 texts .*\(ru 1; trained for en\)", lines[0])
    assert [json.loads(line)["lang"] for line in out.read_text().splitlines()] == ["ru", "en"]


def test_cli_predict_refuses_existing_output(trained, tmp_path):
    _, model = trained
    out = tmp_path / "out.jsonl"
    out.write_text("keep me")
    line = _is_clean_error(
        runner.invoke(app, ["predict", model, "-", "--output", str(out)], input="x\n")
    )
    assert "already exists" in line and out.read_text() == "keep me"


def test_cli_evaluate(trained, tmp_path, tiny_path):
    _, model = trained
    out = tmp_path / "ev"
    result = runner.invoke(
        app, ["evaluate", model, str(tiny_path), "--output", str(out), "-q", "--bootstrap", "20"]
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["tiny"]["frames"]["macro_f1_ci"][0] is not None
    assert (out / "predictions.jsonl").is_file() and (out / "report.md").is_file()
    line = _is_clean_error(runner.invoke(app, ["evaluate", str(tmp_path / "nope"), str(tiny_path)]))
    assert "model folder not found" in line


COMMANDS = ("train", "check", "evaluate", "predict", "compare", "export", "annotate", "agreement")


def test_cli_help_lists_every_command_with_its_summary():
    import re

    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    listed = set(re.findall(r"^\W*([a-z]+)\s{2,}\S", result.output, flags=re.MULTILINE))
    assert listed >= set(COMMANDS), result.output
    for command in COMMANDS:
        sub = runner.invoke(app, [command, "--help"])
        assert sub.exit_code == 0 and "Usage:" in sub.output, command


def test_cli_compare(trained, tmp_path, tiny_path):
    _, model = trained
    config = tmp_path / "compare.yaml"
    config.write_text(
        f"name: tiny\nmodel: /nowhere\ncorpus: {tiny_path}\ndev: {tiny_path}\n"
        f"gold_sample: {tiny_path}\nmin_gold: 3\nbootstrap: {{n: 50, seed: 1}}\ncache_dir: null\n"
    )
    out = tmp_path / "cmp"
    result = runner.invoke(
        app, ["compare", str(config), "--model", model, "--output", str(out), "-q"]
    )
    assert result.exit_code == 0, result.output
    assert (out / "estimates.csv").is_file() and (out / "report.html").is_file()
    line = _is_clean_error(runner.invoke(app, ["compare", str(config), "--output", str(out)]))
    assert "model folder not found" in line or "already exists" in line


def test_cli_help_does_not_import_torch():
    """`framing --help` and the tfidf path must not pay for torch/transformers imports."""
    import subprocess
    import sys

    code = (
        "import sys; from typer.testing import CliRunner; from framing.cli import app; "
        "CliRunner().invoke(app, ['--help']); "
        "print(sorted(m for m in ('torch', 'transformers', 'datasets') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cli_unexpected_error_is_one_line_with_a_log(monkeypatch, tmp_path):
    import framing.cli as cli

    def broken(*args, **kwargs):
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setattr(cli, "check", broken)
    monkeypatch.setattr(cli.tempfile, "gettempdir", lambda: str(tmp_path))
    config = write_config(tmp_path)
    result = runner.invoke(app, ["check", str(config)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "unexpected RuntimeError: something nobody foresaw" in lines[0]
    log = next((tmp_path / "framing-logs").glob("error-*.log"))
    assert "Traceback" in log.read_text() and str(log) in lines[0]


def test_cli_export_refuses_tfidf_in_one_line(trained, tmp_path):
    _, model = trained
    line = _is_clean_error(runner.invoke(app, ["export", model, "--output", str(tmp_path / "x")]))
    assert "only torch models of kind encoder or finetune can be exported" in line


def test_cli_rejects_negative_counts(trained, tmp_path, tiny_path):
    _, model = trained
    result = runner.invoke(app, ["evaluate", model, str(tiny_path), "--bootstrap", "-5"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    result = runner.invoke(app, ["predict", model, str(tiny_path), "--batch-size", "0"])
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_cli_predict_output_locked_against_a_second_writer(trained, tmp_path, tiny_path):
    import os
    import socket

    _, model = trained
    out = tmp_path / "out.jsonl"
    lock = tmp_path / ".out.jsonl.lock"
    lock.write_text(f"{os.getpid()} {socket.gethostname()}")  # a live writer holds it
    line = _is_clean_error(
        runner.invoke(app, ["predict", model, str(tiny_path), "--output", str(out)])
    )
    assert "being written by another framing process" in line and not out.exists()
    lock.write_text(f"999999999 {socket.gethostname()}")  # its writer died: taken over
    result = runner.invoke(app, ["predict", model, str(tiny_path), "--output", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert len(out.read_text().splitlines()) == 30 and not lock.exists()
    assert not list(tmp_path.glob(".out.jsonl.*.partial"))


NEWS_FOLDER = __import__("pathlib").Path(__file__).parent / "data" / "news" / "folder"


def test_cli_predict_articles_folder_keeps_article_metadata(trained, tmp_path):
    _, model = trained
    out = tmp_path / "preds.jsonl"
    result = runner.invoke(app, ["predict", model, str(NEWS_FOLDER), "--output", str(out), "-q"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 21 and rows[0]["id"] == "gw-001_0000"
    assert rows[0]["doc_id"] == "gw-001" and rows[0]["source"] == "Global Wire"
    assert rows[0]["url"] == "https://wire.example/gw-001" and rows[0]["date"] == "2022-03-01"


def test_cli_gold_sample_and_compare_window(trained, tmp_path):
    _, model = trained
    config = tmp_path / "news.yaml"
    config.write_text(
        f"name: news\nmodel: /nowhere\ncorpus: {NEWS_FOLDER}\nsegment: true\n"
        "bootstrap: {n: 50, seed: 1}\ncache_dir: null\n"
    )
    gold = tmp_path / "gold.csv"
    args = ["gold-sample", str(config), "5", "--output", str(gold), "--model", model]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    header = gold.read_text().splitlines()[0].split(",")
    assert header[:3] == ["id", "doc_id", "source"] and "frames" in header
    assert any(h.startswith("stance.") for h in header)
    out = tmp_path / "cmp"
    args = ["compare", str(config), "--model", model, "--output", str(out), "-q"]
    result = runner.invoke(app, args + ["--from", "2022-03-02", "--to", "2022-12-31"])
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    assert summary["window"] == {"from": "2022-03-02", "to": "2022-12-31"}
    assert summary["n_docs"] == 4
    line = _is_clean_error(runner.invoke(app, args[:-3] + ["--from", "2031-01-01", "-q"]))
    assert "no document is dated within the window" in line


def test_cli_annotate_opens_the_project_and_serves_it(monkeypatch, tmp_path):
    from annotate_helpers import write_project

    import framing.cli

    served = {}
    monkeypatch.setattr(
        framing.cli, "serve", lambda store, schema, cfg, host, port: served.update(port=port)
    )
    project = write_project(tmp_path)
    result = runner.invoke(app, ["annotate", str(project), "--port", "9999"])
    assert result.exit_code == 0, result.output
    assert "6 sentences in" in result.output and "http://127.0.0.1:9999/" in result.output
    assert served == {"port": 9999} and (tmp_path / "tiny.sqlite").is_file()
    line = _is_clean_error(runner.invoke(app, ["annotate", str(project), "--set", "draws=[]"]))
    assert "draws" in line and str(project) in line


def test_cli_agreement_and_annotate_export(tmp_path):
    from annotate_helpers import write_project

    from framing.annotate import Answer, load_annotate_config, open_project

    project = write_project(tmp_path)
    line = _is_clean_error(runner.invoke(app, ["agreement", str(project)]))
    assert "does not exist yet" in line
    store, _ = open_project(load_annotate_config(project))
    for item in store.items()[:3]:
        for who in ("ann", "bob"):
            store.save_answer(
                who, item.id, Answer(("isolation",), {"russia": "none", "the_west": "none"})
            )
    store.close()
    result = runner.invoke(app, ["agreement", str(project)])
    assert result.exit_code == 0, result.output
    assert "isolation\tframe\t-\t3\t0\t(every answer is the same value" in result.output
    out = tmp_path / "labels.jsonl"
    result = runner.invoke(app, ["annotate-export", str(project), "--output", str(out)])
    assert result.exit_code == 0 and "3 labelled sentences" in result.output
    assert len(out.read_text().splitlines()) == 3
    line = _is_clean_error(
        runner.invoke(app, ["annotate-export", str(project), "--output", str(out)])
    )
    assert "already exists" in line


def test_cli_progress_bars_only_on_a_terminal(trained, tmp_path, monkeypatch):
    import sys

    from framing import cli

    _, model = trained
    result = runner.invoke(app, ["predict", model, "-"], input="One.\nTwo.\n")
    assert result.exit_code == 0, result.output
    assert "predicting" not in result.output  # not a terminal: no bar lines in a log
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert cli._bars(quiet=False) is True
    assert cli._bars(quiet=True) is False
