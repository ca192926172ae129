"""The ONNX Runtime backend: scores with a graph written by `framing.export` (mean-pooled
sentence vectors, int8 MatMul weights) and runs the small heads in numpy. Inference only."""

from __future__ import annotations

import json
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from framing.data import Example
from framing.errors import ConfigError, FramingError, ModelError
from framing.labels import LabelSchema
from framing.modelfolder import GRAPH, HEADS, HEADS_META
from framing.models.base import EpochInfo
from framing.models.linear import LinearHeads
from framing.models.torch_common import (
    length_sorted_batches,
    padded_batches,
    progress,
    target_text,
)

INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _softmax(logits: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, shifted by the row maximum for stability."""
    exp = np.exp(logits - logits.max(-1, keepdims=True))
    return exp / exp.sum(-1, keepdims=True)


def threads() -> int:
    """Threads that score: OMP_NUM_THREADS where set (Ray sets it to an actor's CPUs, so two
    actors on two cores do not fight over them), else the cores this process may use."""
    value = os.environ.get("OMP_NUM_THREADS", "")
    if value.isdigit() and int(value) > 0:
        return int(value)
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def _session(graph: Path, n_threads: int) -> Any:
    """An ONNX Runtime CPU session over `graph` whose runs use `n_threads` threads each."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = n_threads
    return ort.InferenceSession(str(graph), options, providers=["CPUExecutionProvider"])


class OnnxBackend:
    """Inference-only backend over an exported graph; same outputs as the torch backends."""

    def __init__(self, kind: str, schema: LabelSchema, path: Path, params: dict[str, Any]):
        from safetensors.numpy import load_file
        from transformers import AutoTokenizer

        self.kind = kind
        self.schema = schema
        self.max_length = int(params.get("max_length", 128))
        self.batch_size = int(params.get("batch_size", 64))
        # One thread per run and one run per core, each on its own batch: small batches keep
        # a core busy better than one run split over the cores (2 cores: 306 against 250
        # sentences/s, docs/benchmarks.md). Runs of one session may overlap. A call with fewer
        # batches than cores runs them one by one on a session that uses every core.
        self.workers = threads()
        self.session_path = path / GRAPH
        self.session = _session(self.session_path, 1)
        self.wide = self.session if self.workers == 1 else None
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.heads: Any = None
        self.weights: dict[str, np.ndarray] = {}
        if kind == "encoder":
            meta = json.loads((path / HEADS_META).read_text(encoding="utf-8"))
            self.heads = LinearHeads.from_state(schema, load_file(str(path / HEADS)), meta)
        else:
            self.weights = load_file(str(path / HEADS))
        self.reads_pairs = "stance_head.weight" in self.weights

    def fit(
        self,
        train: Sequence[Example],
        dev: Sequence[Example] | None,
        *,
        show_progress: bool = False,
        score_dev: Callable[[Any], dict[str, float]] | None = None,
    ) -> Iterator[EpochInfo]:
        raise FramingError("an exported ONNX model is for inference only; train the torch model")

    def _run(
        self, feeds: Iterable[tuple[np.ndarray, dict[str, np.ndarray]]], total: int
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(batch, pooled vectors) for each of `total` (batch, feed) pairs, in order: run by
        `workers` threads with at most two batches each waiting, so feeds are made as they are
        needed; or, with fewer batches than workers, one by one on every core."""
        if total < self.workers or self.workers == 1:
            if self.wide is None:
                self.wide = _session(self.session_path, self.workers)
            for batch, feed in feeds:
                yield batch, self.wide.run(None, feed)[0]
            return
        pool = ThreadPoolExecutor(self.workers)
        try:
            waiting: deque = deque()
            for batch, feed in feeds:
                waiting.append((batch, pool.submit(self.session.run, None, feed)))
                if len(waiting) >= 2 * self.workers:
                    done, run = waiting.popleft()
                    yield done, run.result()[0]
            while waiting:
                done, run = waiting.popleft()
                yield done, run.result()[0]
        finally:  # an error or an early stop: drop the queued runs, wait for the running ones
            pool.shutdown(wait=True, cancel_futures=True)

    def _pair_feeds(
        self, texts: list[str], pairs: list[str], batch_size: int
    ) -> Iterator[tuple[np.ndarray, dict[str, np.ndarray]]]:
        """Length-sorted batches of (pair, text) inputs, tokenised together."""
        for batch in length_sorted_batches(self.tokenizer, texts, self.max_length, batch_size):
            enc = self.tokenizer(
                [pairs[i] for i in batch],
                [texts[i] for i in batch],
                padding=True,
                truncation="only_second",
                max_length=self.max_length,
                return_tensors="np",
            )
            feed = {name: enc[name].astype(np.int64) for name in INPUTS if name in enc}
            if "token_type_ids" not in feed:
                feed["token_type_ids"] = np.zeros_like(feed["input_ids"])
            yield batch, feed

    def _pooled(
        self, texts: list[str], pairs: list[str] | None, batch_size: int, show_progress: bool
    ) -> np.ndarray:
        out = np.zeros((len(texts), self.session.get_outputs()[0].shape[-1] or 384), np.float32)
        if pairs is None:
            feeds = padded_batches(self.tokenizer, texts, self.max_length, batch_size)
        else:
            feeds = self._pair_feeds(texts, pairs, batch_size)
        total = -(-len(texts) // batch_size)
        runs = self._run(feeds, total)
        for batch, pooled in progress(runs, show_progress, "scoring", total=total):
            out[batch] = pooled
        return out

    def predict_proba(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        show_progress: bool = False,
        targets: Sequence[str] | None = None,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        texts = list(texts)
        size = batch_size or self.batch_size
        if self.kind == "encoder":
            pooled = self._pooled(texts, None, size, show_progress)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            return self.heads.predict_proba(pooled)
        w = self.weights
        frames = np.zeros((len(texts), len(self.schema.frames)))
        targets = list(targets) if targets is not None else list(self.schema.targets)
        one_pass = [t for t in targets if t in self.schema.targets and "target_head.weight" in w]
        stance, sentence = {}, None
        if self.schema.frames or one_pass:
            sentence = self._pooled(texts, None, size, show_progress)
        if self.schema.frames:
            logits = sentence @ w["frame_head.weight"].T + w["frame_head.bias"]
            frames = 1.0 / (1.0 + np.exp(-logits[:, : len(self.schema.frames)]))
        if one_pass:
            logits = sentence @ w["target_head.weight"].T + w["target_head.bias"]
            per_target = _softmax(logits.reshape(len(texts), -1, len(self.schema.stance_labels)))
            for t in one_pass:
                stance[t] = per_target[:, self.schema.targets.index(t)].astype(np.float64)
        for target in targets:
            if target in one_pass:
                continue
            if not self.reads_pairs:
                raise ConfigError(
                    f"target {target!r} is not in the schema and this model was trained with "
                    "stance_input: one_pass (schema targets only)"
                )
            pooled = self._pooled(texts, [target_text(target)] * len(texts), size, show_progress)
            stance[target] = _softmax(pooled @ w["stance_head.weight"].T + w["stance_head.bias"])
        return frames.astype(np.float64), stance

    def params(self) -> dict[str, Any]:
        return {"max_length": self.max_length, "batch_size": self.batch_size}

    def save(self, path: Path) -> None:
        raise ModelError("an ONNX model folder is written by export_onnx, not by save()")
