"""Models that ship inside the package, loadable by name with no training and no network.

`FramingClassifier.load("geopolitics")` finds the folder `framing/pretrained/geopolitics/`
(an int8 ONNX model folder with its model card, rebuilt by `make default-model`). A path
that exists always wins over a name.
"""

from __future__ import annotations

from pathlib import Path

from framing.errors import ModelError

HERE = Path(__file__).parent
DEFAULT_MODEL = "geopolitics"


def packaged_models() -> list[str]:
    """Names of the model folders shipped in this installation."""
    return sorted(p.name for p in HERE.iterdir() if (p / "framing.json").is_file())


def resolve_model(name_or_path: str | Path) -> Path:
    """The folder of a model given by path, or by the name of a packaged model."""
    path = Path(name_or_path)
    text = str(name_or_path)
    if path.exists() or len(path.parts) != 1 or text.endswith(("/", "\\")):
        return path  # a path (or what was typed as one), never a name
    if (HERE / path.name / "framing.json").is_file():
        return HERE / path.name
    if str(name_or_path) == DEFAULT_MODEL:
        raise ModelError(
            f"the packaged model {DEFAULT_MODEL!r} is not in this installation "
            f"({HERE}); rebuild it with `make default-model`"
        )
    return path
