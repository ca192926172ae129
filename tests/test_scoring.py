"""Tests for framing.scoring: `framing score` into Parquet shards, resuming, corruption, bad
input, `compare` reading a scored folder, and the Ray engine (skipped without Ray)."""

from __future__ import annotations

import csv
import gzip
import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import datasets
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from framing import FramingClassifier
from framing.cli import app
from framing.compare import compare, load_compare_config
from framing.errors import ConfigError, DataError
from framing.scoring import EngineOptions, score
from framing.scoring.engines import RowGroupScorer
from framing.scoring.shards import MANIFEST, SHARDS, read_manifest, shard_name

N_ROWS = 230


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory, tiny_examples, schema) -> Path:
    folder = tmp_path_factory.mktemp("scoring") / "tfidf"
    FramingClassifier("tfidf", schema=schema).fit(tiny_examples).save(folder)
    return folder


def _rows(tiny_examples) -> list[dict]:
    rows = []
    for i in range(N_ROWS):
        ex = tiny_examples[i % len(tiny_examples)]
        rows.append(
            {
                "id": f"s{i}",
                "doc_id": f"d{i // 7}",
                "source": ex.source,
                "date": "2023-09-13",
                "text": f"{ex.text} ({i})",
            }
        )
    return rows


@pytest.fixture()
def corpus(tmp_path: Path, tiny_examples) -> Path:
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in _rows(tiny_examples)), encoding="utf-8")
    return path


def _table(folder: Path) -> pa.Table:
    names = sorted(read_manifest(folder)["shards"])
    return pa.concat_tables([pq.read_table(folder / SHARDS / n) for n in names])


def test_score_writes_every_row_once_with_the_models_probabilities(model_dir, corpus, tmp_path):
    result = score(corpus, model_dir, tmp_path / "out", shard_size=50)
    table = _table(tmp_path / "out")
    assert (result.n_rows, result.n_shards, result.n_scored) == (N_ROWS, 5, N_ROWS)
    assert table.column("row_id").to_pylist() == list(range(N_ROWS))
    texts = table.column("text").to_pylist()
    proba = FramingClassifier.load(model_dir).predict_proba(texts)
    for j, name in enumerate(proba.frame_names):
        np.testing.assert_allclose(
            table.column(f"proba:frame:{name}").to_numpy(), proba.frames[:, j]
        )
    russia = np.stack(
        [table.column(f"proba:stance:russia:{lab}").to_numpy() for lab in proba.stance_labels],
        axis=1,
    )
    np.testing.assert_allclose(russia, proba.stance["russia"])
    manifest = read_manifest(tmp_path / "out")
    assert manifest["complete"] and manifest["n_rows"] == N_ROWS
    assert not (tmp_path / "out" / "input").exists()


def test_score_reads_gzip_csv_parquet_and_a_saved_dataset_like_jsonl(
    model_dir, corpus, tmp_path, tiny_examples
):
    rows = _rows(tiny_examples)
    gz = tmp_path / "c.jsonl.gz"
    gz.write_bytes(gzip.compress(corpus.read_bytes()))
    with open(tmp_path / "c.csv", "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "c.parquet")
    datasets.Dataset.from_list(rows).save_to_disk(str(tmp_path / "c.dataset"))
    expected = _table(score(corpus, model_dir, tmp_path / "ref", shard_size=100).output)
    for name in ("c.jsonl.gz", "c.csv", "c.parquet", "c.dataset"):
        got = _table(score(tmp_path / name, model_dir, tmp_path / f"out-{name}").output)
        assert got.equals(expected), name


def test_score_resumes_after_kill_9_without_losing_or_repeating_a_row(model_dir, corpus, tmp_path):
    out = tmp_path / "out"
    script = tmp_path / "slow_score.py"
    script.write_text(
        textwrap.dedent(f"""
        import time
        from framing.scoring import engines, score
        scorer_call = engines.BatchScorer.__call__
        def slow(self, table):
            time.sleep(0.3)
            return scorer_call(self, table)
        engines.BatchScorer.__call__ = slow
        score({str(corpus)!r}, {str(model_dir)!r}, {str(out)!r}, shard_size=20,
              options=engines.EngineOptions(chunk_rows=10))
    """)
    )
    proc = subprocess.Popen([sys.executable, str(script)])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = (
            json.loads((out / MANIFEST).read_text()).get("shards", {})
            if (out / MANIFEST).is_file()
            else {}
        )
        if len(done) >= 2:
            break
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    killed = read_manifest(out)
    assert not killed["complete"] and 2 <= len(killed["shards"]) < 12
    result = score(corpus, model_dir, out, shard_size=20)
    assert result.n_scored == N_ROWS - 20 * len(killed["shards"])
    table = _table(out)
    assert table.column("row_id").to_pylist() == list(range(N_ROWS))
    fresh = _table(score(corpus, model_dir, tmp_path / "fresh", shard_size=20).output)
    assert table.equals(fresh)


def test_score_finds_a_damaged_shard_and_scores_it_again(model_dir, corpus, tmp_path, caplog):
    out = tmp_path / "out"
    score(corpus, model_dir, out, shard_size=50)
    before = _table(out)
    damaged = out / SHARDS / shard_name(2)
    damaged.write_bytes(damaged.read_bytes()[:100])
    with caplog.at_level(logging.WARNING):
        result = score(corpus, model_dir, out, shard_size=50)
    assert result.n_scored == 50
    assert "part-000002.parquet is missing or damaged" in caplog.text
    assert _table(out).equals(before)


def test_score_of_a_complete_folder_scores_nothing(model_dir, corpus, tmp_path):
    score(corpus, model_dir, tmp_path / "out", shard_size=100)
    assert score(corpus, model_dir, tmp_path / "out", shard_size=100).n_scored == 0


def test_score_refuses_a_folder_of_another_corpus_model_or_shard_size(
    model_dir, corpus, tmp_path, tiny_path, tiny_examples, schema
):
    out = tmp_path / "out"
    score(corpus, model_dir, out, shard_size=100)
    with pytest.raises(ConfigError, match="holds scores of another corpus"):
        score(tiny_path, model_dir, out, shard_size=100)
    with pytest.raises(ConfigError, match="holds scores of another shard size"):
        score(corpus, model_dir, out, shard_size=10)
    other = tmp_path / "other"
    FramingClassifier("tfidf", schema=schema).fit(tiny_examples[:24]).save(other)
    with pytest.raises(ConfigError, match="holds scores of another model"):
        score(corpus, other, out, shard_size=100)


def test_score_bad_input_is_one_clear_error(model_dir, corpus, tmp_path):
    with pytest.raises(ConfigError, match="corpus not found"):
        score(tmp_path / "missing.jsonl", model_dir, tmp_path / "a")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "1", "text": "fine"}\n{"id": "2", "text": ""}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.jsonl line 2.*text"):
        score(bad, model_dir, tmp_path / "b")
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ConfigError, match="exists and is not a scored folder"):
        score(corpus, model_dir, tmp_path / "taken")
    assert (tmp_path / "taken" / "notes.txt").read_text(encoding="utf-8") == "mine"
    with pytest.raises(ConfigError, match="--shard-size 0"):
        score(corpus, model_dir, tmp_path / "c", shard_size=0)
    with pytest.raises(ConfigError, match="--engine 'spark'"):
        score(corpus, model_dir, tmp_path / "d", options=EngineOptions(engine="spark"))


def test_score_warns_once_when_the_corpus_is_in_another_language(model_dir, tmp_path):
    assert FramingClassifier.load(model_dir).languages_ == ("en",)
    rows = [
        {"id": str(i), "text": text}
        for i, text in enumerate(
            [
                "O encontro marca um passo rumo a um mundo multipolar, longe da hegemonia.",
                "Os dois líderes rejeitaram o isolamento imposto por Washington e Bruxelas.",
                "A cúpula discutiu cooperação militar e espacial entre os dois países vizinhos.",
            ]
        )
    ]
    path = tmp_path / "pt.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    with pytest.warns(UserWarning, match=r"3 of a random sample of 3 sentences .*\(pt 3"):
        score(path, model_dir, tmp_path / "out")


def test_score_cli_writes_the_folder_and_rejects_a_bad_field(model_dir, corpus, tmp_path):
    runner = CliRunner()
    ok = runner.invoke(
        app,
        ["score", str(corpus), "--model", str(model_dir), "--output", str(tmp_path / "out"), "-q"],
    )
    assert ok.exit_code == 0, ok.output
    assert read_manifest(tmp_path / "out")["n_rows"] == N_ROWS
    bad = runner.invoke(
        app,
        [
            "score",
            str(corpus),
            "--model",
            str(model_dir),
            "--output",
            str(tmp_path / "o2"),
            "--field",
            "text",
        ],
    )
    assert bad.exit_code != 0 and "expected CANONICAL=COLUMN" in bad.output


def _compare_config(tmp_path: Path, corpus: Path, model_dir: Path, **extra) -> Path:
    config = {
        "name": "t",
        "model": str(model_dir),
        "corpus": str(corpus),
        "cache_dir": None,
        "bootstrap": {"n": 50},
        **extra,
    }
    path = tmp_path / f"compare-{len(extra)}.yaml"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def test_compare_reads_a_scored_folder_instead_of_scoring(model_dir, corpus, tmp_path):
    scored = score(corpus, model_dir, tmp_path / "scored", shard_size=64).output
    direct = compare(
        load_compare_config(_compare_config(tmp_path, corpus, model_dir)), tmp_path / "direct"
    )
    config = _compare_config(tmp_path, corpus, model_dir, scores=str(scored))
    read = compare(load_compare_config(config), tmp_path / "read")
    assert read.estimates == direct.estimates


def test_compare_refuses_scores_of_another_model_or_corpus(model_dir, corpus, tmp_path, tiny_path):
    scored = score(tiny_path, model_dir, tmp_path / "scored").output
    config = _compare_config(tmp_path, corpus, model_dir, scores=str(scored))
    with pytest.raises(ConfigError, match="scores: .* has no sentence 's0'"):
        compare(load_compare_config(config), tmp_path / "x")


# --- the Ray engine ---------------------------------------------------------------------------

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'framing[ray]')")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def test_ray_engine_gives_the_local_engines_rows(model_dir, corpus, tmp_path, local_ray):
    local = _table(score(corpus, model_dir, tmp_path / "local", shard_size=60).output)
    options = EngineOptions(engine="ray", workers=2, chunk_rows=32)
    result = score(corpus, model_dir, tmp_path / "ray", shard_size=60, options=options)
    assert result.n_rows == N_ROWS
    assert _table(result.output).equals(local)


class DiesOnce(RowGroupScorer):
    """A scorer whose process kills itself (SIGKILL) on its first batch, once per test."""

    marker: str = ""

    def __call__(self, table):
        if not os.path.exists(self.marker):
            Path(self.marker).write_text(str(os.getpid()), encoding="utf-8")
            os.kill(os.getpid(), signal.SIGKILL)
        return super().__call__(table)


def test_ray_engine_survives_a_killed_worker(model_dir, corpus, tmp_path, local_ray, monkeypatch):
    from ray import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import tests
    monkeypatch.setattr(DiesOnce, "marker", str(tmp_path / "killed"))
    monkeypatch.setattr("framing.scoring.engines.RowGroupScorer", DiesOnce)
    options = EngineOptions(engine="ray", workers=1, chunk_rows=50)
    result = score(corpus, model_dir, tmp_path / "ray", shard_size=100, options=options)
    assert (tmp_path / "killed").is_file()  # a worker did die
    monkeypatch.undo()
    local = _table(score(corpus, model_dir, tmp_path / "local", shard_size=100).output)
    assert result.n_rows == N_ROWS and _table(result.output).equals(local)
