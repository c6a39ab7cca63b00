"""Data flows one way through vrmon's layers, and the code's imports follow it.

The chain is sources → model → layout → scene → protocol → hub → app. In the imports the model
comes first: it is the vocabulary (span batches, the store, ids) that sources fill and everything
downstream reads, so it imports nothing above it. The protocol is the codec the scene encodes its
frames with: it knows the layout's node arrays, never the scene, so it sits just under it.
A module may import from its own layer and the layers below; read with `ast`, so imports inside
functions and under TYPE_CHECKING count too.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "vrmon"

# lowest first; a module in none of them is part of the app (the top layer)
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundation", ("vrmon.errors", "vrmon.origins", "vrmon.settings", "vrmon.tracing")),
    ("model", ("vrmon.model",)),
    ("sources", ("vrmon.formats", "vrmon.sources")),
    ("analysis", ("vrmon.analysis",)),
    ("layout", ("vrmon.layout",)),
    ("protocol", ("vrmon.protocol",)),
    ("scene", ("vrmon.scene", "vrmon.scene_presets")),
    ("hub", ("vrmon.hub", "vrmon.findings_feed")),
)
APP = len(LAYERS)


def layer_of(module: str) -> int:
    for rank, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    return APP


def layer_name(rank: int) -> str:
    return LAYERS[rank][0] if rank < APP else "app"


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports_of(path: Path, known: dict[str, Path]) -> list[tuple[int, str]]:
    """(line, module) for every vrmon module `path` imports, wherever the import statement is."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names if alias.name.startswith("vrmon")]
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("vrmon"):
            assert node.level == 0, f"{path}:{node.lineno}: use absolute imports"
            for alias in node.names:  # `from vrmon.sources import jaeger_api` imports a module
                sub = f"{node.module}.{alias.name}"
                found.append((node.lineno, sub if sub in known else node.module))
    return found


KNOWN = modules()


def test_every_import_points_to_the_same_layer_or_below():
    wrong = []
    for module, path in KNOWN.items():
        for line, target in imports_of(path, KNOWN):
            if layer_of(target) > layer_of(module):
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {module} ({layer_name(layer_of(module))}) "
                             f"imports {target} ({layer_name(layer_of(target))})")
    assert not wrong, "imports against the flow of data:\n" + "\n".join(wrong)


def test_no_module_imports_itself_through_others():
    graph = {module: {t for _, t in imports_of(path, KNOWN) if t in KNOWN and t != module} for module, path in KNOWN.items()}
    visiting: list[str] = []
    done: set[str] = set()

    def visit(module: str) -> None:
        if module in visiting:
            pytest.fail("import cycle: " + " → ".join(visiting[visiting.index(module):] + [module]))
        if module in done:
            return
        visiting.append(module)
        for target in sorted(graph[module]):
            visit(target)
        visiting.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)


def test_the_check_sees_a_reverse_import(tmp_path):
    """The rule itself: a model module importing the layout would be caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from vrmon.layout.nodes import Nodes\n")
    (line, target), = imports_of(bad, KNOWN)
    assert (line, layer_of(target) > layer_of("vrmon.model.details")) == (2, True)
