"""The product's import graph, read with `ast` (every import counts: lazy, TYPE_CHECKING or not).

No cycles; the engine never imports `api`; `api` sees only the facade (`engine`), the public
models (`engine.model`) and the command group it adds `serve` to; the engine's layers import
downwards only (docs/architecture.md).
"""
from __future__ import annotations

import ast
import graphlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCT = ("engine", "api")
# Lower layers first; a module may import its own layer and those before it. The facade
# (`engine/__init__.py`) sits above them all and below the CLI.
LAYERS = ["engine.model", "engine.language", "engine.evaluate", "engine.batch", "engine.authoring", "engine",
          "engine.cli", "engine.__main__", "api"]
API_MAY_IMPORT = ("engine", "engine.model")
API_COMMANDS = "engine.cli.main"  # api/cli.py adds `serve` to the engine's command group


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for package in PRODUCT for p in sorted((ROOT / package).rglob("*.py"))}


def imports_of(name: str, path: Path, known: set[str]) -> list[tuple[str, list[str], int]]:
    """(imported module, names taken from it, line) for every import statement in the module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            target = ".".join([*base, *([node.module] if node.module else [])])
            names = [a.name for a in node.names]
            submodules = [f"{target}.{n}" for n in names if f"{target}.{n}" in known]
            found += [(m, [], node.lineno) for m in submodules]
            if len(submodules) < len(names):
                found.append((target, [n for n in names if f"{target}.{n}" not in known], node.lineno))
    return found


def graph() -> dict[str, dict[str, list[str]]]:
    """module -> {imported product module: names taken}."""
    mods = modules()
    edges: dict[str, dict[str, list[str]]] = {}
    for name, path in mods.items():
        edges[name] = {}
        for target, names, _ in imports_of(name, path, set(mods)):
            if target in mods and target != name:
                edges[name].setdefault(target, []).extend(names)
    return edges


def layer(module: str) -> int:
    return max(i for i, prefix in enumerate(LAYERS) if module == prefix or module.startswith(prefix + "."))


def test_the_graph_is_read() -> None:
    edges = graph()
    assert "engine.evaluate.evaluator" in edges["engine"] and "engine" in edges["api.app"]
    assert "engine.batch.screen" in edges["engine"]          # a lazy import is an edge too


def test_no_import_cycles() -> None:
    try:
        list(graphlib.TopologicalSorter({m: set(t) for m, t in graph().items()}).static_order())
    except graphlib.CycleError as e:
        pytest.fail(f"import cycle: {' -> '.join(e.args[1])}")


def test_the_engine_never_imports_api() -> None:
    bad = [f"{m} imports {t}" for m, targets in graph().items() if not m.startswith("api")
           for t in targets if t == "api" or t.startswith("api.")]
    assert not bad


def test_api_uses_only_the_facade_and_public_models() -> None:
    bad = []
    for m, targets in graph().items():
        if not m.startswith("api"):
            continue
        for t, names in targets.items():
            if not t.startswith("engine"):
                continue
            allowed = t in API_MAY_IMPORT or t.startswith("engine.model.") or (m == "api.cli" and t == API_COMMANDS)
            private = [n for n in names if n.startswith("_")]
            if not allowed or private:
                bad.append(f"{m} imports {t} {private or ''}")
    assert not bad


def test_engine_layers_import_downwards() -> None:
    bad = [f"{m} ({LAYERS[layer(m)]}) imports {t} ({LAYERS[layer(t)]})" for m, targets in graph().items()
           for t in targets if layer(t) > layer(m)]
    assert not bad
