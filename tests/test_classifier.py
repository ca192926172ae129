"""Contract tests every model kind must pass (sklearn's check-suite idea, via parametrization)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from sklearn.base import clone

from framing import FramingClassifier
from framing.errors import ConfigError, ModelError, NotFittedError
from framing.files import _UMASK
from framing.pretrained import resolve_model

from conftest import FAST_TRAIN, model_params

KINDS = ["tfidf", "encoder", "finetune", "fewshot", "zeroshot"]
TEXTS = [
    "This alliance signals a commitment to multipolarity.",
    "The White House warned that North Korea would pay a price if it supplied weapons to Russia.",
    "Officials declined to comment.",
]


@pytest.fixture(scope="module", params=KINDS)
def fitted(request, tiny_examples, schema, _tiny_transformer):
    """Trained once per kind for the module; tests only read from it."""
    kind = request.param
    clf = FramingClassifier(
        kind, schema=schema, model=model_params(kind, _tiny_transformer), train=FAST_TRAIN
    )
    returned = clf.fit(tiny_examples[:24], dev=tiny_examples[24:])
    assert returned is clf
    return clf


def test_classifier_labels_come_from_schema(fitted, schema):
    for pred in fitted.predict(TEXTS):
        assert set(pred.frames) <= set(schema.frames)
        assert set(pred.stance) == set(schema.targets)
        assert set(pred.stance.values()) <= set(schema.stance_labels)


def test_classifier_probabilities_are_valid(fitted, schema):
    proba = fitted.predict_proba(TEXTS)
    assert proba.frames.shape == (3, len(schema.frames))
    assert ((proba.frames >= 0) & (proba.frames <= 1)).all()
    assert proba.frame_names == schema.frames and proba.stance_labels == schema.stance_labels
    for target in schema.targets:
        assert proba.stance[target].shape == (3, 3)
        np.testing.assert_allclose(proba.stance[target].sum(1), 1.0, atol=1e-6)


def test_classifier_batch_equals_one_at_a_time(fitted):
    batch = fitted.predict_proba(TEXTS)
    for i, text in enumerate(TEXTS):
        single = fitted.predict_proba([text])
        np.testing.assert_allclose(single.frames[0], batch.frames[i], atol=1e-5)
        for target, p in batch.stance.items():
            np.testing.assert_allclose(single.stance[target][0], p[i], atol=1e-5)


def test_classifier_save_load_same_probabilities(fitted, tmp_path):
    fitted.save(tmp_path / "model")
    loaded = FramingClassifier.load(tmp_path / "model")
    assert loaded.kind == fitted.kind and loaded.thresholds == fitted.thresholds
    a, b = fitted.predict_proba(TEXTS), loaded.predict_proba(TEXTS)
    np.testing.assert_allclose(a.frames, b.frames, atol=1e-6)
    for target in a.stance:
        np.testing.assert_allclose(a.stance[target], b.stance[target], atol=1e-6)
    assert not list(tmp_path.glob("*.partial"))
    assert not list((tmp_path / "model").glob("*.pkl"))


def test_classifier_rejects_bare_string(fitted):
    with pytest.raises(TypeError, match=r"wrap a single text: clf.predict\(\[text\]\)"):
        fitted.predict("one sentence")
    with pytest.raises(TypeError, match="item 1 is int"):
        fitted.predict_proba(["ok", 3])


def test_classifier_accepts_dataset(fitted):
    import datasets

    ds = datasets.Dataset.from_dict({"text": TEXTS})
    np.testing.assert_allclose(fitted.predict_proba(ds).frames, fitted.predict_proba(TEXTS).frames)


@pytest.mark.parametrize("kind", KINDS)
def test_classifier_not_fitted(kind):
    clf = FramingClassifier(kind, frames=["a"], targets=["t"])
    with pytest.raises(NotFittedError, match="not fitted yet"):
        clf.predict(["x"])
    assert "unfitted" in repr(clf)


def test_classifier_fit_from_dicts_without_yaml():
    rows = [
        {"id": str(i), "text": text, "frames": frames, "stance": {"russia": stance}}
        for i, (text, frames, stance) in enumerate(
            [
                ("Russia is isolated", ["isolation"], "against"),
                ("Russia is not isolated", ["isolation"], "favor"),
                ("Sanctions on Moscow", ["pressure"], "against"),
                ("We thank Russia", [], "favor"),
                ("Nothing to see", [], "none"),
                ("The weather is fine", [], "none"),
            ]
        )
    ]
    clf = FramingClassifier("tfidf", frames=["isolation", "pressure"], targets=["russia"]).fit(rows)
    assert clf.schema_.frames == ("isolation", "pressure")
    assert clf.predict(["The weather is fine"])[0].stance == {"russia": "none"}


def test_classifier_free_text_targets_need_finetune(fitted):
    if fitted.kind == "finetune":
        proba = fitted.predict_proba(TEXTS, targets=["NATO", "russia"])
        assert set(proba.stance) == {"NATO", "russia"}
        np.testing.assert_allclose(proba.stance["NATO"].sum(1), 1.0, atol=1e-6)
    else:
        with pytest.raises(ValueError, match="free-text targets need a finetune model"):
            fitted.predict(TEXTS, targets=["NATO"])


def test_classifier_same_seed_same_model(tiny_examples, schema, tiny_transformer_dir):
    def fit():
        clf = FramingClassifier(
            "finetune",
            schema=schema,
            model=model_params("finetune", tiny_transformer_dir),
            train={**FAST_TRAIN, "epochs": 2},
        )
        return clf.fit(tiny_examples[:24], dev=tiny_examples[24:]).predict_proba(TEXTS)

    a, b = fit(), fit()
    np.testing.assert_array_equal(a.frames, b.frames)


def test_classifier_load_detects_tampering(tiny_examples, schema, tmp_path):
    clf = FramingClassifier("tfidf", schema=schema).fit(tiny_examples)
    path = clf.save(tmp_path / "m")
    weights = path / "heads.safetensors"
    weights.write_bytes(weights.read_bytes()[:-8] + b"\x00" * 8)
    with pytest.raises(ModelError, match="'heads.safetensors' does not match its SHA-256"):
        FramingClassifier.load(path)
    weights.unlink()
    with pytest.raises(ModelError, match="'heads.safetensors' listed in framing.json is missing"):
        FramingClassifier.load(path)


def test_classifier_load_bad_index(tmp_path, tiny_examples, schema):
    with pytest.raises(ModelError, match="model folder not found"):
        FramingClassifier.load(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="no framing.json"):
        FramingClassifier.load(tmp_path / "empty")
    path = FramingClassifier("tfidf", schema=schema).fit(tiny_examples).save(tmp_path / "m")
    index = json.loads((path / "framing.json").read_text())
    index["format"] = 99
    (path / "framing.json").write_text(json.dumps(index))
    with pytest.raises(ModelError, match="model format 99 is not supported"):
        FramingClassifier.load(path)
    (path / "framing.json").write_text("{not json")
    with pytest.raises(ModelError, match="not valid JSON"):
        FramingClassifier.load(path)


def test_classifier_save_refuses_existing_folder(tiny_examples, schema, tmp_path):
    clf = FramingClassifier("tfidf", schema=schema).fit(tiny_examples)
    clf.save(tmp_path / "m")
    with pytest.raises(ModelError, match="already exists"):
        clf.save(tmp_path / "m")


def test_classifier_bad_kind_and_args(tiny_examples, schema):
    from framing.errors import ConfigError

    with pytest.raises(ConfigError, match="kind must be one of"):
        FramingClassifier("bert", schema=schema).fit(tiny_examples)
    with pytest.raises(ConfigError, match="ngram_max"):
        FramingClassifier("tfidf", schema=schema, model={"ngram_max": 9}).fit(tiny_examples)


def test_classifier_label_never_seen_in_training(tmp_path):
    rows = [
        {"id": "1", "text": "Sanctions on Moscow", "frames": ["pressure"], "stance": {"t": "none"}},
        {"id": "2", "text": "Trade talks went well", "frames": [], "stance": {"t": "none"}},
        {"id": "3", "text": "More sanctions", "frames": ["pressure"], "stance": {"t": "none"}},
    ]
    clf = FramingClassifier("tfidf", frames=["pressure", "never"], targets=["t"]).fit(rows)
    proba = clf.predict_proba(["Sanctions again"])
    assert proba.frames[0, 1] == 0.0
    np.testing.assert_allclose(proba.stance["t"][0], [0.0, 0.0, 1.0])
    again = FramingClassifier.load(clf.save(tmp_path / "m")).predict_proba(["Sanctions again"])
    np.testing.assert_allclose(again.frames, proba.frames)


def test_classifier_takes_a_schema_path_and_refuses_other_schema_values(tiny_examples):
    path = Path(__file__).resolve().parent.parent / "configs" / "labels" / "geopolitics.yaml"
    clf = FramingClassifier("tfidf", schema=str(path)).fit(tiny_examples)
    assert clf.schema_.frames == (
        "multipolarity",
        "western_pressure",
        "isolation",
        "security_threat",
    )
    with pytest.raises(
        ConfigError, match="schema must be a LabelSchema or a schema YAML path, got int"
    ):
        FramingClassifier("tfidf", schema=5).fit(tiny_examples)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"frames": "isolation"}, r"frames must be a list of names, got the string 'isolation'"),
        ({"frames": ["a"], "targets": "russia"}, r"targets must be a list of names"),
        ({"frames": ["a"], "stance_labels": "fan"}, r"stance_labels must be a list of names"),
        ({"frames": ["a"], "model": "big"}, r"model must be a mapping of settings .* got str"),
        ({"frames": ["a"], "train": 5}, r"train must be a mapping of settings .* got int"),
    ],
)
def test_classifier_arguments_of_the_wrong_shape_are_one_config_error(args, message):
    rows = [{"id": "1", "text": "Sanctions on Moscow", "frames": ["a"]}]
    clf = FramingClassifier("tfidf", **args)
    assert "unfitted" in repr(clf)  # repr still works on arguments fit will refuse
    with pytest.raises(ConfigError, match=message):
        clf.fit(rows)


def test_classifier_call_options_of_the_wrong_type_are_refused(tiny_examples, schema):
    clf = FramingClassifier("tfidf", schema=schema).fit(tiny_examples)
    with pytest.raises(ConfigError, match="calibrated must be True or False, got 'no'"):
        clf.predict_proba(["Sanctions."], calibrated="no")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="batch_size must be a positive integer, got True"):
        clf.predict_proba(["Sanctions."], batch_size=True)


def test_classifier_load_and_save_name_a_file_given_for_a_folder(tiny_examples, schema, tmp_path):
    clf = FramingClassifier("tfidf", schema=schema).fit(tiny_examples)
    folder = clf.save(tmp_path / "m")
    with pytest.raises(ModelError, match=r"framing.json is a file, not a model folder; load its"):
        FramingClassifier.load(folder / "framing.json")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ModelError, match=r"notes.txt is a file, not a model folder"):
        FramingClassifier.load(tmp_path / "notes.txt")
    with pytest.raises(ModelError, match=r"notes.txt is a file; save\(\) writes a model folder"):
        clf.save(tmp_path / "notes.txt")


def test_classifier_saved_folder_has_the_modes_mkdir_and_open_give(tiny_examples, schema, tmp_path):
    clf = FramingClassifier("tfidf", schema=schema).fit(tiny_examples)
    folder = clf.save(tmp_path / "m")  # built under mkdtemp, whose folders are 0700
    assert folder.stat().st_mode & 0o777 == 0o777 & ~_UMASK
    for path in folder.iterdir():
        assert path.stat().st_mode & 0o777 == 0o666 & ~_UMASK, path.name


def test_classifier_load_refuses_a_schema_edited_after_saving(tmp_path):
    folder = tmp_path / "m"
    shutil.copytree(resolve_model("geopolitics"), folder)  # weights rebuild; outputs mismatch
    index = json.loads((folder / "framing.json").read_text())
    index["schema"]["frames"].append("extra")
    (folder / "framing.json").write_text(json.dumps(index))
    with pytest.raises(ModelError, match=r"does not match the schema in framing.json \(4 frame"):
        FramingClassifier.load(folder)


def test_classifier_follows_the_scikit_learn_parameter_protocol(tiny_examples, schema):
    clf = FramingClassifier("tfidf", schema=schema, model={"C": 2.0}).fit(tiny_examples)
    copy = clone(clf)
    assert copy.get_params() == clf.get_params() and not hasattr(copy, "backend_")
    assert copy.set_params(model={"C": 0.5}) is copy and copy.model == {"C": 0.5}
    copy.fit(tiny_examples)
    assert copy.backend_.C == 0.5 and clf.backend_.C == 2.0
    with pytest.raises(ConfigError, match=r"set_params: unknown parameter 'lr'"):
        copy.set_params(lr=0.1)
