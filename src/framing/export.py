"""`framing export`: write a trained encoder/finetune model as an int8 ONNX graph of mean-pooled
sentence vectors (scored by `framing.models.onnx`; the small heads run in numpy).

Dynamic int8 quantisation is applied to MatMul weights only, per channel: quantising the
embedding lookups as well cost far more agreement with the fp32 model than it saved time.
The quantised graph keeps its large embedding tables in fp16 (half the file size).
"""

from __future__ import annotations

import logging
import shutil
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

from framing.classifier import FramingClassifier
from framing.errors import FramingError
from framing.files import atomic_dir, sha256
from framing.modelfolder import GRAPH, HEADS, HEADS_META, INDEX, USEM3, read_index, write_index
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


def _halve_embedding_tables(graph_path: Path, min_bytes: int = 4_000_000) -> None:
    """Store the large embedding tables (the word table is 47 MB of a 56 MB int8 MiniLM) in
    fp16, cast back to fp32 right after the lookup: half the size, and the lookups stay exact
    to fp16 rounding, which moved no label decision in our measurements (int8 lookups did)."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(graph_path))
    tables = {
        init.name: init
        for init in model.graph.initializer
        if init.data_type == onnx.TensorProto.FLOAT and len(init.raw_data) >= min_bytes
    }
    nodes = list(model.graph.node)
    readers = Counter(name for node in nodes for name in node.input)
    for node in nodes:  # a table read by anything but one Gather (e.g. a tied head) stays fp32
        if node.op_type != "Gather" or node.input[0] not in tables or readers[node.input[0]] != 1:
            continue
        table = tables.pop(node.input[0])
        half = numpy_helper.from_array(
            numpy_helper.to_array(table).astype("float16"), table.name + "_fp16"
        )
        model.graph.initializer.remove(table)
        model.graph.initializer.append(half)
        lookup = node.output[0]
        node.input[0], node.output[0] = half.name, lookup + "_fp16"
        cast = helper.make_node(
            "Cast",
            [lookup + "_fp16"],
            [lookup],
            to=onnx.TensorProto.FLOAT,
            name=node.name + "_cast",
        )
        model.graph.node.insert(list(model.graph.node).index(node) + 1, cast)
    onnx.save(model, str(graph_path))


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
    if (index.get("params") or {}).get("base") == USEM3:
        raise FramingError(
            f"{model_dir}: an encoder with base '{USEM3}' cannot be exported to ONNX (it is a "
            "numpy model, already torch-free); use the folder as it is"
        )
    encoder, tokenizer = _torch_parts(FramingClassifier.load(model_dir))
    with atomic_dir(output) as tmp:
        fp32 = tmp / "fp32.onnx"
        _export_graph(encoder, tokenizer, fp32)
        if quantize:
            _quantize(fp32, tmp / GRAPH)
            _halve_embedding_tables(tmp / GRAPH)
            fp32.unlink()
        else:
            fp32.rename(tmp / GRAPH)
        tokenizer.save_pretrained(str(tmp))
        for name in (HEADS, HEADS_META):
            if (model_dir / name).is_file():
                shutil.copy2(model_dir / name, tmp / name)
        kept = ("kind", "schema", "thresholds", "calibration", "params", "languages")
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
