"""The ONNX Runtime inference path: export a trained encoder/finetune model to an int8 ONNX graph
and score with it. The graph computes mean-pooled sentence vectors; the small heads run in numpy.

Dynamic int8 quantisation is applied to MatMul weights only, per channel: quantising the
embedding lookups as well cost far more agreement with the fp32 model than it saved time.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from framing.data import Example
from framing.errors import FramingError, ModelError
from framing.labels import LabelSchema
from framing.models import EpochInfo
from framing.models.encoder import length_sorted_batches

GRAPH = "model.onnx"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _pooled_module(encoder: Any) -> Any:
    import torch

    class Pooled(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            hidden = self.encoder(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            weights = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)

    return Pooled().eval()


def _set_attention(encoder: Any, implementation: str) -> None:
    if hasattr(encoder, "set_attn_implementation"):
        encoder.set_attn_implementation(implementation)
    else:
        encoder.config._attn_implementation = implementation


def export_onnx(model_dir: str | Path, output: str | Path, *, quantize: bool = True) -> Path:
    """Write an ONNX copy of a saved `encoder` or `finetune` model folder, loadable by
    `FramingClassifier.load`. The folder is built aside and renamed into place."""
    import torch

    from framing.classifier import FramingClassifier
    from framing.files import sha256 as _sha256
    from framing.modelfolder import read_index

    model_dir, output = Path(model_dir), Path(output)
    if output.exists():
        raise FramingError(f"{output} already exists; choose a new folder for the export")
    index = read_index(model_dir)
    if index["kind"] not in ("encoder", "finetune") or index.get("runtime") == "onnx":
        raise FramingError(
            f"{model_dir}: only torch models of kind encoder or finetune can be exported "
            f"(this one is {index['kind']}{', already ONNX' if index.get('runtime') else ''})"
        )
    clf = FramingClassifier.load(model_dir)
    backend: Any = clf.backend_
    if index["kind"] == "encoder":
        encoder, tokenizer = backend._encoder().model, backend._encoder().tokenizer
    else:
        encoder, tokenizer = backend.net.encoder, backend.tokenizer
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{output.name}.", suffix=".partial", dir=output.parent))
    try:
        sample = tokenizer(
            ["a short sentence", "and a second, longer sentence"], padding=True, return_tensors="pt"
        )
        if "token_type_ids" not in sample:
            sample["token_type_ids"] = torch.zeros_like(sample["input_ids"])
        fp32 = tmp / "fp32.onnx"
        # Eager attention exports plain MatMul/Softmax nodes; the SDPA path adds masking ops
        # (Where, extra Transposes) that cost ~6% of int8 throughput on CPU.
        previous = encoder.config._attn_implementation
        _set_attention(encoder, "eager")
        axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS}
        # The TorchScript exporter is deprecated in favour of torch.export, which needs the extra
        # `onnxscript` package; the old path still gives a graph ONNX Runtime runs well.
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _pooled_module(encoder),
                tuple(sample[name] for name in INPUTS),
                str(fp32),
                input_names=list(INPUTS),
                output_names=["pooled"],
                dynamic_axes={**axes, "pooled": {0: "batch"}},
                opset_version=17,
                dynamo=False,
            )
        _set_attention(encoder, previous)
        if quantize:
            from onnxruntime.quantization import QuantType, quantize_dynamic

            root = logging.getLogger()
            level = root.level
            root.setLevel(logging.ERROR)  # quantize_dynamic logs a warning on the root logger
            try:
                quantize_dynamic(
                    str(fp32),
                    str(tmp / GRAPH),
                    weight_type=QuantType.QInt8,
                    op_types_to_quantize=["MatMul"],
                    per_channel=True,
                )
            finally:
                root.setLevel(level)
            fp32.unlink()
        else:
            fp32.rename(tmp / GRAPH)
        tokenizer.save_pretrained(str(tmp))
        for name in ("heads.safetensors", "heads.json"):
            if (model_dir / name).is_file():
                shutil.copy2(model_dir / name, tmp / name)
        files = {p.name: _sha256(p) for p in sorted(tmp.iterdir()) if p.is_file()}
        new_index = {
            **index,
            # Small batches suit the int8 kernels on CPU best (measured: 16 > 32 > 64).
            "params": {**index.get("params", {}), "batch_size": 16},
            "runtime": "onnx",
            "quantized": quantize,
            "files": files,
            "exported_from": {
                "path": str(model_dir),
                "framing.json": _sha256(model_dir / "framing.json"),
            },
        }
        (tmp / "framing.json").write_text(json.dumps(new_index, indent=2) + "\n")
        os.replace(tmp, output)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return output


class OnnxBackend:
    """Inference-only backend over an exported graph; same outputs as the torch backends."""

    def __init__(self, kind: str, schema: LabelSchema, path: Path, params: dict[str, Any]):
        import onnxruntime as ort
        from transformers import AutoTokenizer

        self.kind = kind
        self.schema = schema
        self.max_length = int(params.get("max_length", 128))
        self.batch_size = int(params.get("batch_size", 64))
        options = ort.SessionOptions()
        options.intra_op_num_threads = os.cpu_count() or 1
        self.session = ort.InferenceSession(
            str(path / GRAPH), options, providers=["CPUExecutionProvider"]
        )
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.heads: Any = None
        self.weights: dict[str, np.ndarray] = {}
        if kind == "encoder":
            from safetensors.numpy import load_file

            from framing.models.linear import LinearHeads

            meta = json.loads((path / "heads.json").read_text(encoding="utf-8"))
            self.heads = LinearHeads.from_state(
                schema, load_file(str(path / "heads.safetensors")), meta
            )
        else:
            from safetensors.numpy import load_file

            self.weights = load_file(str(path / "heads.safetensors"))

    def fit(
        self,
        train: Sequence[Example],
        dev: Sequence[Example] | None,
        *,
        show_progress: bool = False,
        score_dev: Callable[[Any], dict[str, float]] | None = None,
    ) -> Iterator[EpochInfo]:
        raise FramingError("an exported ONNX model is for inference only; train the torch model")

    def _pooled(
        self, texts: list[str], pairs: list[str] | None, batch_size: int, show_progress: bool
    ) -> np.ndarray:
        from framing.models.encoder import progress

        out = np.zeros((len(texts), self.session.get_outputs()[0].shape[-1] or 384), np.float32)
        for batch in progress(
            length_sorted_batches(self.tokenizer, texts, self.max_length, batch_size),
            show_progress,
            "scoring",
        ):
            chunk = [texts[i] for i in batch]
            if pairs is None:
                enc = self.tokenizer(
                    chunk,
                    padding=True,
                    truncation=True,
                    max_length=self.max_length,
                    return_tensors="np",
                )
            else:
                enc = self.tokenizer(
                    [pairs[i] for i in batch],
                    chunk,
                    padding=True,
                    truncation="only_second",
                    max_length=self.max_length,
                    return_tensors="np",
                )
            feed = {name: enc[name].astype(np.int64) for name in INPUTS if name in enc}
            if "token_type_ids" not in feed:
                feed["token_type_ids"] = np.zeros_like(feed["input_ids"])
            out[batch] = self.session.run(None, feed)[0]
        return out

    def predict_proba(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        show_progress: bool = False,
        targets: Sequence[str] | None = None,
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        from framing.models.finetune import target_text

        texts = list(texts)
        size = batch_size or self.batch_size
        if self.kind == "encoder":
            pooled = self._pooled(texts, None, size, show_progress)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            return self.heads.predict_proba(pooled)
        w = self.weights
        frames = np.zeros((len(texts), len(self.schema.frames)))
        if self.schema.frames:
            logits = self._pooled(texts, None, size, show_progress) @ w["frame_head.weight"].T
            logits += w["frame_head.bias"]
            frames = 1.0 / (1.0 + np.exp(-logits[:, : len(self.schema.frames)]))
        stance = {}
        for target in targets if targets is not None else self.schema.targets:
            pooled = self._pooled(texts, [target_text(target)] * len(texts), size, show_progress)
            logits = pooled @ w["stance_head.weight"].T + w["stance_head.bias"]
            logits -= logits.max(1, keepdims=True)
            exp = np.exp(logits)
            stance[target] = exp / exp.sum(1, keepdims=True)
        return frames.astype(np.float64), stance

    def params(self) -> dict[str, Any]:
        return {"max_length": self.max_length, "batch_size": self.batch_size}

    def save(self, path: Path) -> None:
        raise ModelError("an ONNX model folder is written by export_onnx, not by save()")
