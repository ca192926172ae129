from __future__ import annotations

import json
import os
import socket

import pytest
import yaml

from framing import FramingClassifier, load_config, train
from framing.errors import DataError, FramingError
from framing.training import check, load_datasets

from conftest import write_config


def test_training_run_folder_complete(tmp_path, _tiny_transformer):
    config = load_config(
        write_config(tmp_path, kinds=("tfidf", "encoder", "finetune"), base=_tiny_transformer)
    )
    result = train(config)
    run = result.run_dir
    assert run.parent == tmp_path / "runs" and run.name.endswith("_tiny")
    for name in (
        "config.yaml",
        "meta.json",
        "metrics.json",
        "report.md",
        "train.log",
        "splits.jsonl",
    ):
        assert (run / name).is_file(), name
    metrics = json.loads((run / "metrics.json").read_text())
    assert set(metrics["models"]) == {"tfidf", "encoder", "finetune"}
    for kind in ("tfidf", "encoder", "finetune"):
        folder = run / kind
        assert (folder / "history.jsonl").read_text().strip()
        assert (folder / "predictions" / "dev.jsonl").is_file()
        assert (folder / "predictions" / "eval-test.jsonl").is_file()
        block = metrics["models"][kind]["eval"]["test"]
        assert "frames" in block and "russia" in block["stance"]
        assert block["frames"]["macro_f1_ci"][0] is not None
        clf = FramingClassifier.load(folder / "model")
        assert clf.kind == kind and len(clf.predict(["A multipolar world."])) == 1
    meta = json.loads((run / "meta.json").read_text())
    assert meta["data_sha256"] and meta["duration_s"] >= 0 and "versions" in meta
    assert "Best on dev" in (run / "report.md").read_text()
    resolved = load_config(run / "config.yaml")
    assert resolved == config


def test_training_same_seed_same_metrics(tmp_path):
    path = write_config(tmp_path)
    a = train(load_config(path)).metrics["models"]["tfidf"]
    b = train(load_config(path)).metrics["models"]["tfidf"]
    a.pop("train_seconds"), b.pop("train_seconds")
    assert a == b


def test_training_never_overwrites(tmp_path):
    config = load_config(write_config(tmp_path))
    first = train(config).run_dir
    second = train(config).run_dir
    assert first != second and first.is_dir() and second.is_dir()
    with pytest.raises(FramingError, match="already exists"):
        train(config, output=first)


def test_training_interrupted_run_never_looks_complete(tmp_path, monkeypatch):
    import framing.training as training

    config = load_config(write_config(tmp_path))

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(training, "render_run_report", boom, raising=False)
    monkeypatch.setattr("framing.report.render_run_report", boom)
    with pytest.raises(KeyboardInterrupt):
        train(config)
    runs = tmp_path / "runs"
    visible = [p for p in runs.iterdir() if not p.name.startswith(".")]
    assert visible == []
    partial = [p for p in runs.iterdir() if p.name.endswith(".incomplete")]
    assert len(partial) == 1 and not (partial[0] / "meta.json").exists()
    assert "interrupted" in (partial[0] / "INTERRUPTED").read_text()
    assert not (partial[0] / "OWNER").exists()


def test_training_data_error_leaves_no_folder(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "text": "x", "frames": ["nope"]}\n')
    path = write_config(tmp_path)
    raw = yaml.safe_load(path.read_text())
    raw["data"]["eval"] = {"bad": str(bad)}
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(DataError, match=r"bad.jsonl line 1: frame 'nope'"):
        train(load_config(path))
    assert not (tmp_path / "runs").exists()


def test_training_refuses_leaks(tmp_path, tiny_path, tiny_examples):
    from framing.data import write_examples

    path = write_config(tmp_path)
    raw = yaml.safe_load(path.read_text())
    raw["data"] = {"train": str(tiny_path), "dev": str(tiny_path)}
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(DataError, match="data.dev: 30 sentence\\(s\\) also in train"):
        train(load_config(path))
    # Same speech, other sentences: refused unless the set is declared a shared-document sample.
    same_doc = tmp_path / "same_doc.jsonl"
    write_examples(
        [
            tiny_examples[0].__class__(
                id="new", text="A sentence never seen.", doc_id=tiny_examples[0].doc_id, frames=()
            )
        ],
        same_doc,
    )
    raw["data"] = {"train": str(tiny_path), "eval": {"gold": str(same_doc)}}
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(DataError, match="data.gold: 1 document\\(s\\) also in train"):
        train(load_config(path))
    raw["data"]["shared_documents_ok"] = ["gold"]
    path.write_text(yaml.safe_dump(raw))
    assert "gold" in train(load_config(path)).metrics["models"]["tfidf"]["eval"]


def test_training_refuses_synthetic_rows_in_an_eval_set(tmp_path, tiny_path):
    rows = [json.loads(line) for line in tiny_path.read_text().splitlines() if line.strip()]
    synthetic = tmp_path / "synthetic.jsonl"
    synthetic.write_text(
        "".join(
            json.dumps({**row, "id": f"s{i}", "doc_id": f"sd{i}", "synthetic": True}) + "\n"
            for i, row in enumerate(rows[:3])
        )
    )
    path = write_config(tmp_path)
    raw = yaml.safe_load(path.read_text())
    raw["data"] = {"train": [str(tiny_path), str(synthetic)], "eval": {"held": str(synthetic)}}
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(DataError, match=r"data\.eval\.held: 3 rows are flagged synthetic"):
        train(load_config(path))
    assert not (tmp_path / "runs").exists()


def _soft_file(tmp_path, tiny_path, n=3):
    """The fixture's first rows with a teacher's soft labels instead of gold labels."""
    rows = [json.loads(line) for line in tiny_path.read_text().splitlines() if line.strip()]
    soft = {"stance": {"russia": {"favor": 0.5, "against": 0.25, "none": 0.25}}}
    path = tmp_path / "soft.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": f"t{i}", "doc_id": f"td{i}", "text": row["text"], "soft": soft})
            + "\n"
            for i, row in enumerate(rows[:n])
        )
    )
    return path


@pytest.mark.parametrize("key", ["dev", "eval"])
def test_training_refuses_soft_labels_outside_the_training_data(tmp_path, tiny_path, key):
    soft = _soft_file(tmp_path, tiny_path)
    path = write_config(tmp_path)
    raw = yaml.safe_load(path.read_text())
    where = {"dev": str(soft)} if key == "dev" else {"eval": {"held": str(soft)}}
    raw["data"] = {"train": str(tiny_path), **where}
    path.write_text(yaml.safe_dump(raw))
    name = "dev" if key == "dev" else r"eval\.held"
    with pytest.raises(DataError, match=rf"data\.{name}: 3 rows carry soft labels \(e\.g\. 't0'\)"):
        train(load_config(path))
    assert not (tmp_path / "runs").exists()


def test_training_refuses_soft_labels_for_a_kind_that_cannot_distil(tmp_path, tiny_path):
    soft = _soft_file(tmp_path, tiny_path)
    path = write_config(tmp_path, kinds=("tfidf",))
    raw = yaml.safe_load(path.read_text())
    raw["data"]["train"] = [str(tiny_path), str(soft)]
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(DataError, match=r"models\[0\] \(kind tfidf\): data\.train has soft"):
        train(load_config(path))
    assert not (tmp_path / "runs").exists()


def test_training_refuses_soft_stance_for_a_pair_only_finetune(
    tmp_path, tiny_path, _tiny_transformer
):
    soft = _soft_file(tmp_path, tiny_path)
    path = write_config(tmp_path, kinds=("finetune",), base=_tiny_transformer)
    raw = yaml.safe_load(path.read_text())
    raw["data"]["train"] = [str(tiny_path), str(soft)]
    raw["models"][0]["stance_input"] = "pair"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(DataError, match=r"models\[0\]\.stance_input: pair learns stance from gold"):
        check(load_config(path))


def test_training_missing_file_names_key(tmp_path):
    path = write_config(tmp_path)
    raw = yaml.safe_load(path.read_text())
    raw["data"]["eval"] = {"news": str(tmp_path / "missing.jsonl")}
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(DataError, match="data.eval.news: file not found"):
        train(load_config(path))


def test_training_missing_schema_names_key(tmp_path):
    from framing.errors import ConfigError

    path = write_config(tmp_path)
    raw = yaml.safe_load(path.read_text())
    raw["schema"] = str(tmp_path / "nope.yaml")
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError, match="schema: label schema file not found"):
        train(load_config(path))


def test_training_select_on_loss_ranks_models_by_dev_loss(tmp_path):
    path = write_config(tmp_path, kinds=("tfidf",))
    raw = yaml.safe_load(path.read_text())
    raw["models"] = [
        {"kind": "tfidf", "name": "sharp", "C": [1000.0]},
        {"kind": "tfidf", "name": "smooth", "C": [0.01]},
    ]
    raw["train"]["select_on"] = "loss"
    path.write_text(yaml.safe_dump(raw))
    metrics = train(load_config(path)).metrics
    assert metrics["select_on"] == "dev loss"
    losses = {name: m["dev"]["loss"] for name, m in metrics["models"].items()}
    assert metrics["best_model"] == min(losses, key=losses.get)
    raw["train"]["select_on"] = "macro_f1"
    path.write_text(yaml.safe_dump(raw))
    metrics = train(load_config(path)).metrics
    assert metrics["select_on"] == "dev macro_f1"
    f1 = {name: m["dev"]["macro_f1"] for name, m in metrics["models"].items()}
    assert metrics["best_model"] == max(f1, key=f1.get)


def test_training_dead_run_never_blocks_a_rerun(tmp_path):
    from framing.runs import start_run

    out = tmp_path / "runs" / "fixed"
    stale = out.parent / ".fixed.incomplete"
    stale.mkdir(parents=True)
    (stale / "OWNER").write_text("999999999 " + socket.gethostname())
    result = train(load_config(write_config(tmp_path)), output=out)
    assert result.run_dir == out and (out / "metrics.json").is_file()
    aside = [p for p in out.parent.iterdir() if ".stale-" in p.name]
    assert len(aside) == 1  # kept, never deleted
    live = out.parent / ".other.incomplete"
    live.mkdir()
    (live / "OWNER").write_text(f"{os.getpid()} {socket.gethostname()}")
    with pytest.raises(FramingError, match="another run with this name is being written"):
        start_run(out.parent, "x", out.parent / "other")


def test_training_favor_against_must_name_schema_labels(tmp_path):
    from framing.errors import ConfigError

    path = write_config(tmp_path, evaluation={"bootstrap": 0, "favor_against": ["pro", "con"]})
    with pytest.raises(ConfigError, match=r"evaluation.favor_against: 'pro' is not a stance label"):
        train(load_config(path))
    assert not (tmp_path / "runs").exists()


def test_training_run_folder_is_born_with_its_owner(tmp_path):
    from framing.runs import OWNER, start_run

    run = start_run(tmp_path / "runs", "x")
    assert (run.tmp / OWNER).read_text() == f"{os.getpid()} {socket.gethostname()}"
    assert [p.name for p in (tmp_path / "runs").iterdir()] == [run.tmp.name]  # no staging left
    with pytest.raises(FramingError, match="another run with this name is being written"):
        start_run(tmp_path / "runs", "x", run.final)


def test_a_split_keeps_soft_labelled_rows_in_training(tmp_path, tiny_path):
    soft = _soft_file(tmp_path, tiny_path, n=5)
    path = write_config(tmp_path, kinds=("finetune",))
    raw = yaml.safe_load(path.read_text())
    raw["data"]["train"] = [str(tiny_path), str(soft)]
    raw["models"][0]["stance_input"] = "one_pass"
    path.write_text(yaml.safe_dump(raw))
    data = load_datasets(load_config(path))
    assert {f"t{i}" for i in range(5)} <= {ex.id for ex in data.train}


def test_a_split_leaves_out_soft_rows_of_held_out_documents(tmp_path, tiny_path):
    rows = [json.loads(line) for line in tiny_path.read_text().splitlines() if line.strip()]
    soft = {"stance": {"russia": {"favor": 0.5, "against": 0.25, "none": 0.25}}}
    path = tmp_path / "soft.jsonl"  # one soft row in every document of the fixture
    docs = sorted({row["doc_id"] for row in rows})
    path.write_text(
        "".join(
            json.dumps({"id": f"t{i}", "doc_id": d, "text": "Unlabelled.", "soft": soft}) + "\n"
            for i, d in enumerate(docs)
        )
    )
    config = write_config(tmp_path, kinds=("finetune",))
    raw = yaml.safe_load(config.read_text())
    raw["data"]["train"] = [str(tiny_path), str(path)]
    raw["models"][0]["stance_input"] = "one_pass"
    config.write_text(yaml.safe_dump(raw))
    with pytest.warns(
        UserWarning, match=r"data\.split: \d+ soft-labelled rows come from documents"
    ):
        data = load_datasets(load_config(config))
    held = {ex.document for ex in list(data.dev or []) + data.eval["test"]}
    trained = [ex for ex in data.train if ex.soft]
    assert held and trained and not any(ex.document in held for ex in trained)
    assert len(trained) == len(docs) - len(held)
