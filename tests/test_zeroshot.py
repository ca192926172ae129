"""The `zeroshot` kind: frames scored against their schema descriptions, no example needed;
labels of other frames only calibrate; an empty description is refused in one line."""

from __future__ import annotations

import numpy as np
import pytest

from framing import FramingClassifier
from framing.errors import ConfigError
from framing.labels import LabelSchema, load_schema
from framing.modelfolder import VOCAB
from framing.models.zeroshot import best_f1_cut, frame_descriptions


def test_zeroshot_predicts_from_descriptions_and_reloads(schema, tmp_path, _tiny_transformer):
    clf = FramingClassifier.zero_shot(schema, model={"base": str(_tiny_transformer)})
    texts = ["A multipolar world order.", "Sanctions by the West.", "Officials declined."]
    proba = clf.predict_proba(texts)
    assert proba.frames.shape == (3, 4)
    assert ((proba.frames >= 0) & (proba.frames <= 1)).all()
    for target in schema.targets:
        np.testing.assert_allclose(proba.stance[target].sum(1), 1.0, atol=1e-6)
    assert clf.backend_.meta == {
        "scaled": False,
        "self_trained": False,  # no texts to self-train on: the prototype's cosine
        "word_view": False,
        "calibrated_on": {f: [] for f in schema.frames},
    }
    loaded = FramingClassifier.load(clf.save(tmp_path / "model"))
    assert loaded.kind == "zeroshot"
    again = loaded.predict_proba(texts)
    np.testing.assert_allclose(again.frames, proba.frames, atol=1e-6)
    assert [p.frames for p in loaded.predict(texts)] == [p.frames for p in clf.predict(texts)]


def test_zeroshot_calibrates_each_frame_on_the_other_frames(
    tiny_examples, schema, _tiny_transformer
):
    clf = FramingClassifier.zero_shot(schema, tiny_examples, model={"base": str(_tiny_transformer)})
    meta = clf.backend_.meta
    assert meta["scaled"] is True  # 30 texts scale the cosines
    for frame, others in meta["calibrated_on"].items():
        assert frame not in others and len(others) == 3
    # Each frame's map differs: it was fitted on a different set of frames.
    assert len(set(np.round(clf.backend_.tensors["frame.cut"], 5))) > 1


def test_zeroshot_prototype_uses_definition_name_and_seeds(tmp_path):
    path = tmp_path / "schema.yaml"
    path.write_text(
        "frames:\n"
        "  sovereignty: A state's right to decide its own affairs.\n"
        "  humanitarian_cost: Suffering of civilians.\n"
        "seeds:\n"
        "  sovereignty: [non-interference in internal affairs, '  ']\n"
    )
    schema = load_schema(path)
    assert schema.seeds == {"sovereignty": ("non-interference in internal affairs", "  ")}
    assert LabelSchema.from_dict(schema.to_dict()).seeds == schema.seeds
    bad = tmp_path / "bad.yaml"
    bad.write_text("frames: {a: x}\nseeds: {b: [y]}\n")
    with pytest.raises(ConfigError, match=r"seeds: expected frame names \(a\), found 'b'"):
        load_schema(bad)
    assert frame_descriptions(schema) == {
        "sovereignty": [
            "A state's right to decide its own affairs.",
            "sovereignty",
            "non-interference in internal affairs",
        ],
        "humanitarian_cost": ["Suffering of civilians.", "humanitarian cost"],
    }


@pytest.mark.parametrize("definition", ["", "   "])
def test_zeroshot_refuses_an_empty_description(definition, tmp_path, _tiny_transformer):
    path = tmp_path / "schema.yaml"
    path.write_text(f"name: mine\nframes:\n  sovereignty: '{definition}'\n  other: Something.\n")
    with pytest.raises(ConfigError) as info:
        FramingClassifier.zero_shot(path, model={"base": str(_tiny_transformer)})
    message = str(info.value)
    assert "\n" not in message
    assert "frame 'sovereignty' has an empty description in label schema 'mine'" in message


def test_zeroshot_refuses_frames_given_without_definitions(_tiny_transformer):
    clf = FramingClassifier("zeroshot", frames=["a"], model={"base": str(_tiny_transformer)})
    with pytest.raises(ConfigError, match="frame 'a' has an empty description"):
        clf.fit([])


def test_zeroshot_best_f1_cut():
    scores = np.array([0.9, 0.8, 0.7, 0.2, 0.1])
    y = np.array([1, 1, 0, 1, 0])
    # cuts: 0.9 -> F1 2/4=.67, 0.8 -> 4/5=.8, 0.7 -> 4/6, 0.2 -> 6/7=.857, 0.1 -> 6/8
    assert best_f1_cut(scores, y) == 0.2


def test_zeroshot_from_a_config(tmp_path, _tiny_transformer):
    """`kind: zeroshot` in an experiment config trains (calibrates) and saves like any kind."""
    from framing import load_config, train

    from conftest import write_config

    result = train(load_config(write_config(tmp_path, kinds=("zeroshot",), base=_tiny_transformer)))
    clf = FramingClassifier.load(result.model_dir("zeroshot"))
    assert clf.kind == "zeroshot"
    assert all(frame not in others for frame, others in clf.backend_.meta["calibrated_on"].items())
    block = result.metrics["models"]["zeroshot"]["eval"]["test"]["frames"]
    assert 0.0 <= block["macro_f1"] <= 1.0


def test_zeroshot_self_trains_on_the_texts_without_their_labels(
    tiny_examples, schema, _tiny_transformer, tmp_path
):
    model = {"base": str(_tiny_transformer), "pseudo_share": 0.2}
    trained = FramingClassifier.zero_shot(schema, tiny_examples, model=model)
    plain = FramingClassifier.zero_shot(schema, tiny_examples, model={**model, "self_training": 0})
    assert trained.backend_.meta["self_trained"] is True
    assert plain.backend_.meta["self_trained"] is False
    t, p = trained.backend_.tensors, plain.backend_.tensors
    np.testing.assert_allclose(p["frame.weight"], p["frame.prototype"])  # 0 rounds: the cosine
    texts = [ex.text for ex in tiny_examples]
    # The heads come from the texts alone: the same texts without labels give the same heads.
    bare = [{"id": ex.id, "text": ex.text} for ex in tiny_examples]
    unlabelled = FramingClassifier.zero_shot(schema, bare, model=model).backend_.tensors
    np.testing.assert_allclose(unlabelled["frame.weight"], t["frame.weight"], atol=1e-6)
    np.testing.assert_allclose(unlabelled["frame.bias"], t["frame.bias"], atol=1e-6)
    np.testing.assert_allclose(unlabelled["frame.word_weight"], t["frame.word_weight"], atol=1e-6)
    assert trained.backend_.meta["word_view"] is True
    folder = trained.save(tmp_path / "model")
    assert (folder / VOCAB).is_file()
    again = FramingClassifier.load(folder)
    np.testing.assert_allclose(
        again.predict_proba(texts).frames, trained.predict_proba(texts).frames, atol=1e-6
    )


def test_zeroshot_pseudo_positives_are_the_texts_nearest_the_description():
    from framing.models.zeroshot import first_ranking, self_trained_heads

    rng = np.random.default_rng(0)
    prototype = np.eye(8)[0]
    X = rng.normal(size=(200, 8)) * 0.3
    X[:20, 0] += 2.0  # 20 texts lie towards the description
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    start = first_ranking(X, prototype[None], None, 0.0)
    heads = self_trained_heads(X, None, start, rounds=2, share=0.1, word_weight=0.3)
    weight, bias = heads["frame.weight"], heads["frame.bias"]
    scores = X @ weight[0] + bias[0]
    assert set(np.argsort(-scores)[:20]) == set(range(20))
    assert weight[0][0] > np.abs(weight[0][1:]).max()
    assert heads["frame.word_weight"].shape == (1, 0)  # no words given: the embeddings alone


def test_zeroshot_word_view_finds_texts_sharing_the_descriptions_words():
    """Embeddings that say nothing, words that do: the word view ranks the 20 texts that use
    the description's word first, and its head weighs that word most."""
    from scipy.sparse import csr_matrix

    from framing.models.zeroshot import first_ranking, self_trained_heads

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 8))
    words = rng.random((200, 30)) * (rng.random((200, 30)) < 0.1)
    words[:, 0] = 0.0
    words[:20, 0] = 1.0  # word 0, the description's, is in 20 texts
    words = csr_matrix(words)
    lexical = words @ np.eye(30)[[0]].T
    start = first_ranking(X, np.eye(8)[[0]], lexical, word_weight=0.9)
    assert set(np.argsort(-start[:, 0])[:20]) == set(range(20))
    heads = self_trained_heads(X, words, start, rounds=2, share=0.1, word_weight=0.5)
    scores = X @ heads["frame.weight"][0] + heads["frame.bias"][0]
    scores = scores + words @ heads["frame.word_weight"][0] + heads["frame.word_bias"][0]
    assert set(np.argsort(-scores)[:20]) == set(range(20))
    assert np.argmax(heads["frame.word_weight"][0]) == 0


def test_zeroshot_refuses_a_pseudo_share_out_of_range(schema, _tiny_transformer):
    model = {"base": str(_tiny_transformer), "pseudo_share": 0.7}
    with pytest.raises(ConfigError, match="pseudo_share"):
        FramingClassifier.zero_shot(schema, model=model)


def test_zeroshot_without_labels_maps_by_the_self_trained_heads_own_probability(
    tiny_examples, schema, _tiny_transformer
):
    bare = [{"id": ex.id, "text": ex.text} for ex in tiny_examples]
    model = {"base": str(_tiny_transformer), "pseudo_share": 0.2}
    clf = FramingClassifier.zero_shot(schema, bare, model=model)
    t = clf.backend_.tensors
    texts = [ex.text for ex in tiny_examples]
    X = clf.backend_._encoder().encode(texts)
    assert clf.backend_.meta["word_view"] is True
    words = clf.backend_.vectorizer.transform(texts)
    score = X @ t["frame.weight"].T + t["frame.bias"]
    score = score + words @ t["frame.word_weight"].T + t["frame.word_bias"]
    own = 1.0 / (1.0 + np.exp(-score))
    np.testing.assert_allclose(clf.predict_proba(texts).frames, own, atol=1e-4)


def test_zeroshot_folder_saved_before_self_training_loads_as_the_cosine(
    tiny_examples, schema, _tiny_transformer, tmp_path
):
    from safetensors.numpy import load_file, save_file

    from framing.config import TrainConfig, ZeroshotModelConfig
    from framing.modelfolder import HEADS
    from framing.models.zeroshot import ZeroshotBackend

    model = {"base": str(_tiny_transformer), "self_training": 0}
    clf = FramingClassifier.zero_shot(schema, tiny_examples, model=model)
    folder = clf.save(tmp_path / "model")
    texts = [ex.text for ex in tiny_examples]
    heads = load_file(str(folder / HEADS))
    old = {k: v for k, v in heads.items() if k not in ("frame.weight", "frame.bias")}
    save_file(old, str(folder / HEADS))  # the tensors a folder of the earlier version holds
    config = ZeroshotModelConfig(kind="zeroshot")  # its framing.json had no self_training key
    backend = ZeroshotBackend.load(folder, schema, config, TrainConfig())
    assert backend.params()["self_training"] == 0
    frames, _ = backend.predict_proba(texts)
    np.testing.assert_allclose(frames, clf.predict_proba(texts, calibrated=False).frames, atol=1e-6)


def test_zeroshot_folder_saved_before_the_word_view_scores_by_the_embeddings(
    tiny_examples, schema, _tiny_transformer, tmp_path
):
    import json

    from safetensors.numpy import load_file, save_file

    from framing.modelfolder import HEADS, HEADS_META, INDEX, write_index

    model = {"base": str(_tiny_transformer), "pseudo_share": 0.2}
    clf = FramingClassifier.zero_shot(schema, tiny_examples, model=model)
    folder = clf.save(tmp_path / "model")
    heads = load_file(str(folder / HEADS))
    kept = {k: v for k, v in heads.items() if not k.startswith("frame.word_")}
    save_file(kept, str(folder / HEADS))
    (folder / VOCAB).unlink()
    meta = json.loads((folder / HEADS_META).read_text())
    del meta["word_view"]  # the files a folder of the earlier version holds
    (folder / HEADS_META).write_text(json.dumps(meta))
    index = json.loads((folder / INDEX).read_text())  # re-hashed: the edits above are the point
    write_index(
        folder, {k: v for k, v in index.items() if k not in ("format", "versions", "files")}
    )
    old = FramingClassifier.load(folder)
    assert old.backend_.params()["word_weight"] == 0.0 and old.backend_.vectorizer is None
    texts = [ex.text for ex in tiny_examples]
    X = old.backend_._encoder().encode(texts)
    t = old.backend_.tensors
    z = (X @ t["frame.weight"].T + t["frame.bias"] - t["frame.mu"]) / t["frame.sd"]
    expected = 1.0 / (1.0 + np.exp(-t["frame.slope"] * (z - t["frame.cut"])))
    got = old.predict_proba(texts, calibrated=False).frames
    np.testing.assert_allclose(got, expected, atol=1e-5)
    with_words = clf.predict_proba(texts, calibrated=False).frames
    assert np.abs(with_words - got).max() > 1e-3  # the word heads did count before


def test_zeroshot_folder_with_word_heads_but_no_vocabulary_is_refused(
    tiny_examples, schema, _tiny_transformer, tmp_path
):
    from framing.config import TrainConfig, ZeroshotModelConfig
    from framing.errors import ModelError
    from framing.models.zeroshot import ZeroshotBackend

    model = {"base": str(_tiny_transformer), "pseudo_share": 0.2}
    folder = FramingClassifier.zero_shot(schema, tiny_examples, model=model).save(tmp_path / "m")
    (folder / VOCAB).unlink()
    config = ZeroshotModelConfig(kind="zeroshot")
    with pytest.raises(ModelError, match="tfidf.json"):
        ZeroshotBackend.load(folder, schema, config, TrainConfig())


def test_zeroshot_texts_sharing_no_word_self_train_on_the_embeddings_alone(
    schema, _tiny_transformer
):
    texts = [{"id": f"t{i}", "text": f"word{i} thing{i}"} for i in range(25)]
    clf = FramingClassifier.zero_shot(schema, texts, model={"base": str(_tiny_transformer)})
    assert clf.backend_.meta["self_trained"] is True
    assert clf.backend_.meta["word_view"] is False and clf.backend_.vectorizer is None
    assert "frame.word_weight" not in clf.backend_.tensors
    assert clf.predict_proba(["word3 thing3"]).frames.shape == (1, 4)


def test_zeroshot_takes_plain_texts_and_refuses_another_kind(schema, _tiny_transformer):
    texts = [f"Sentence number {i} about sanctions and a new world order." for i in range(25)]
    model = {"base": str(_tiny_transformer)}
    clf = FramingClassifier.zero_shot(schema, texts, model=model)
    assert clf.backend_.meta["scaled"] is True  # the 25 texts were read
    with pytest.raises(TypeError, match=r"zero_shot\(\) always builds kind 'zeroshot'"):
        FramingClassifier.zero_shot(schema, texts, kind="tfidf", model=model)
