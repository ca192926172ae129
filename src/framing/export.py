"""`framing export`: write a trained encoder/finetune model as an int8 ONNX graph of mean-pooled
sentence vectors (scored by `framing.models.onnx`; the small heads run in numpy).

Dynamic int8 quantisation is applied to MatMul weights only, per channel: quantising the
embedding lookups as well cost far more agreement with the fp32 model than it saved time.
"""

from __future__ import annotations

import logging
import shutil
import warnings
from pathlib import Path
from typing import Any

from framing.classifier import FramingClassifier
from framing.errors import FramingError
from framing.files import atomic_dir, sha256
from framing.modelfolder import GRAPH, HEADS, HEADS_META, INDEX, read_index, write_index
from framing.models.onnx import INPUTS


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


def _torch_parts(clf: FramingClassifier) -> tuple[Any, Any]:
    """The transformer encoder and tokenizer inside a loaded encoder/finetune classifier."""
    backend: Any = clf.backend_
    if clf.kind == "encoder":
        return backend._encoder().model, backend._encoder().tokenizer
    return backend.net.encoder, backend.tokenizer


def _export_graph(encoder: Any, tokenizer: Any, path: Path) -> None:
    """Trace the mean-pooled encoder into an fp32 ONNX graph with dynamic batch and length."""
    import torch

    sample = tokenizer(
        ["a short sentence", "and a second, longer sentence"], padding=True, return_tensors="pt"
    )
    if "token_type_ids" not in sample:
        sample["token_type_ids"] = torch.zeros_like(sample["input_ids"])
    # Eager attention exports plain MatMul/Softmax nodes; the SDPA path adds masking ops
    # (Where, extra Transposes) that cost ~6% of int8 throughput on CPU.
    previous = encoder.config._attn_implementation
    _set_attention(encoder, "eager")
    axes = {name: {0: "batch", 1: "tokens"} for name in INPUTS}
    # The TorchScript exporter is deprecated in favour of torch.export, which needs the extra
    # `onnxscript` package; the old path still gives a graph ONNX Runtime runs well.
    try:
        with torch.inference_mode(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                _pooled_module(encoder),
                tuple(sample[name] for name in INPUTS),
                str(path),
                input_names=list(INPUTS),
                output_names=["pooled"],
                dynamic_axes={**axes, "pooled": {0: "batch"}},
                opset_version=17,
                dynamo=False,
            )
    finally:
        _set_attention(encoder, previous)


def _quantize(fp32: Path, int8: Path) -> None:
    """Dynamic int8 quantisation of the MatMul weights, per channel."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # quantize_dynamic logs a warning on the root logger
    try:
        quantize_dynamic(
            str(fp32),
            str(int8),
            weight_type=QuantType.QInt8,
            op_types_to_quantize=["MatMul"],
            per_channel=True,
        )
    finally:
        root.setLevel(level)


def export_onnx(model_dir: str | Path, output: str | Path, *, quantize: bool = True) -> Path:
    """Write an ONNX copy of a saved `encoder` or `finetune` model folder, loadable by
    `FramingClassifier.load`. The folder is built aside and renamed into place."""
    model_dir, output = Path(model_dir), Path(output)
    if output.exists():
        raise FramingError(f"{output} already exists; choose a new folder for the export")
    index = read_index(model_dir)
    if index["kind"] not in ("encoder", "finetune") or index.get("runtime", "torch") != "torch":
        raise FramingError(
            f"{model_dir}: only torch models of kind encoder or finetune can be exported "
            f"(this one is {index['kind']}{', already ONNX' if index.get('runtime') else ''})"
        )
    encoder, tokenizer = _torch_parts(FramingClassifier.load(model_dir))
    with atomic_dir(output) as tmp:
        fp32 = tmp / "fp32.onnx"
        _export_graph(encoder, tokenizer, fp32)
        if quantize:
            _quantize(fp32, tmp / GRAPH)
            fp32.unlink()
        else:
            fp32.rename(tmp / GRAPH)
        tokenizer.save_pretrained(str(tmp))
        for name in (HEADS, HEADS_META):
            if (model_dir / name).is_file():
                shutil.copy2(model_dir / name, tmp / name)
        kept = ("kind", "schema", "thresholds", "params")
        write_index(
            tmp,
            {
                **{key: index[key] for key in kept if key in index},
                # Small batches suit the int8 kernels on CPU best (measured: 16 > 32 > 64).
                "params": {**index.get("params", {}), "batch_size": 16},
                "runtime": "onnx",
                "quantized": quantize,
                "exported_from": {"path": str(model_dir), INDEX: sha256(model_dir / INDEX)},
            },
        )
    return output
