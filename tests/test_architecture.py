"""The package's shape, checked from its source: module and function sizes, imports that flow one
way (no loop, no function-level import of our own modules), and the layer order of
docs/architecture.md."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "framing"
MAX_MODULE_LINES = 450
MAX_FUNCTION_LINES = 60

# Lower layers never import higher ones (docs/architecture.md). A module may import any module
# of its own layer only where listed in SAME_LAYER_ORDER (earlier may not import later).
LAYERS: list[set[str]] = [
    {"framing.cli"},
    {
        "framing.training",
        "framing.inference",
        "framing.export",
        "framing.compare",
        "framing.annotate",
        "framing.scoring",
    },
    {"framing.report"},
    {"framing.classifier"},
    {"framing.inputs"},
    {"framing.models"},
    {"framing.calibration"},
    {"framing.evaluation", "framing.runs"},
    {
        "framing.data",
        "framing.soft",
        "framing.segment",
        "framing.dates",
        "framing.articles",
        "framing.readers",
        "framing.labels",
        "framing.config",
        "framing.predictions",
        "framing.stats",
        "framing.languages",
    },
    {"framing.modelfolder", "framing.pretrained"},
    {"framing.files", "framing.errors", "framing.fields"},
]


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _layer(module: str) -> int:
    for index, layer in enumerate(LAYERS):
        for top in layer:
            if module == top or module.startswith(top + "."):
                return index
    if module == "framing":
        return -1  # the package's __init__ re-exports the public names
    raise AssertionError(f"{module} is in no layer of LAYERS; add it")


def _imports(tree: ast.Module, module: str, is_package: bool) -> list[tuple[str, bool]]:
    """(imported framing module, imported at module level?) for each import in `tree`."""
    out = []
    top_level = {id(node) for node in tree.body}
    type_checking = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_checking.update(id(n) for n in ast.walk(node))
    for node in ast.walk(tree):
        if id(node) in type_checking:
            continue
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module
            if node.level:
                package = module if is_package else module.rsplit(".", 1)[0]
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            names = [base]
        for name in names:
            if name.startswith("framing"):
                out.append((name, id(node) in top_level))
    return out


@pytest.fixture(scope="module")
def graph() -> dict[str, list[tuple[str, bool]]]:
    mods = _modules()
    return {
        name: _imports(ast.parse(path.read_text()), name, path.name == "__init__.py")
        for name, path in mods.items()
    }


def test_architecture_modules_are_small() -> None:
    sizes = {name: len(path.read_text().splitlines()) for name, path in _modules().items()}
    big = {name: n for name, n in sizes.items() if n > MAX_MODULE_LINES}
    assert not big, f"modules over {MAX_MODULE_LINES} lines: {big}"


def test_architecture_functions_are_short() -> None:
    long = []
    for name, path in _modules().items():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1  # type: ignore[operator]
                if length > MAX_FUNCTION_LINES:
                    long.append(f"{name}.{node.name} ({length})")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_architecture_no_function_level_import_of_our_modules(graph) -> None:
    inner = [(m, target) for m, edges in graph.items() for target, top in edges if not top]
    assert not inner, f"imports of framing modules inside functions: {inner}"


def test_architecture_imports_flow_down_the_layers(graph) -> None:
    back = []
    for module, edges in graph.items():
        for target, _ in edges:
            if target == "framing" or target.startswith(module + "."):
                continue
            if module.startswith("framing.") and _layer(target) < _layer(module):
                back.append(f"{module} -> {target}")
    assert not back, f"imports against the layer order: {back}"


def test_architecture_no_import_loop(graph) -> None:
    def resolve(target: str) -> str:
        while target not in graph and "." in target:
            target = target.rsplit(".", 1)[0]
        return target

    edges = {m: {resolve(t) for t, _ in e if resolve(t) != m} for m, e in graph.items()}
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in edges.get(node, ()):
            if nxt.startswith(node + "."):
                continue  # a package importing its own submodules is not a loop
            if state.get(nxt) == 1:
                raise AssertionError(f"import loop: {' -> '.join(path + [nxt])}")
            if nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for module in edges:
        if module not in state:
            visit(module, [module])
