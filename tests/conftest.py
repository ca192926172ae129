"""Shared fixtures: offline environment, the tiny labelled set, a tiny BERT built locally, and a
loader for the scripts and benchmarks that are files rather than modules."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TESTS = Path(__file__).parent
REPO = TESTS.parent
TINY = TESTS / "data" / "tiny.jsonl"
SCHEMA = REPO / "configs" / "labels" / "geopolitics.yaml"


def load_script(relative: str):
    """The Python file at `relative` (from the repo root, e.g. "scripts/x.py") as a fresh module."""
    path = REPO / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def tiny_path() -> Path:
    return TINY


@pytest.fixture(scope="session")
def schema_path() -> Path:
    return SCHEMA


@pytest.fixture(scope="session")
def schema():
    from framing.labels import load_schema

    return load_schema(SCHEMA)


@pytest.fixture(scope="session")
def tiny_examples(schema):
    from framing.data import read_examples

    return read_examples(TINY, schema)


@pytest.fixture(scope="session")
def _tiny_transformer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer, 32-wide BERT with a word-level tokenizer over the fixture vocabulary."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    words: set[str] = set()
    for line in TINY.read_text().splitlines():
        words.update(re.findall(r"\w+|[^\w\s]", line.lower()))
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    words.update(["russia", "west", "nato"])
    vocab = {tok: i for i, tok in enumerate(special + sorted(words))}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.normalizer = None
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        do_lower_case=True,
    )
    from tokenizers import normalizers

    fast.backend_tokenizer.normalizer = normalizers.Lowercase()
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
    )
    path = tmp_path_factory.mktemp("tiny_bert")
    BertModel(config).save_pretrained(str(path))
    fast.save_pretrained(str(path))
    return path


@pytest.fixture()
def tiny_transformer_dir(_tiny_transformer: Path, tmp_path: Path) -> Path:
    """A fresh copy per test, so no test can change another's model."""
    target = tmp_path / "tiny_bert"
    shutil.copytree(_tiny_transformer, target)
    return target


def model_params(kind: str, base: Path | None) -> dict:
    """Model arguments that make each kind train in about a second on the fixture."""
    if kind == "tfidf":
        return {"C": [1.0, 10.0]}
    if kind == "encoder":
        return {"base": str(base), "C": [1.0, 10.0], "max_length": 64}
    if kind == "fewshot":
        return {"base": str(base), "max_length": 64, "pairs_per_example": 2, "max_pairs": 96}
    return {"base": str(base), "max_length": 64}


FAST_TRAIN = {
    "epochs": 6,
    "batch_size": 8,
    "lr": 3e-3,
    "patience": 10,
    "warmup_ratio": 0.0,
    "seed": 7,
}


def write_config(tmp_path: Path, kinds=("tfidf",), base: Path | None = None, **top) -> Path:
    """A tiny experiment config: grouped dev/test split of the fixture, fast settings."""
    import yaml

    models = []
    for kind in kinds:
        m = {"kind": kind, **model_params(kind, base)}
        models.append(m)
    config = {
        "name": "tiny",
        "schema": str(SCHEMA),
        "data": {"train": str(TINY), "split": {"dev": 0.2, "test": 0.2, "seed": 3}},
        "models": models,
        "train": dict(FAST_TRAIN),
        "evaluation": {"bootstrap": 50},
        "output_dir": str(tmp_path / "runs"),
        **top,
    }
    path = tmp_path / "tiny.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
