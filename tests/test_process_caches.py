"""Every cache that lives as long as the process is listed here with what bounds it.

The service is one long-running process: a module-level container filled at run time, or a function cached
without a size limit, keeps what it holds until the process ends. The title registry was such a cache,
growing with every upload (engine/batch/vectorized.py, TitleRegistry). The scan below finds module-level
containers created empty (filled later) and functions under `functools.cache` / `lru_cache(maxsize=None)`
in `engine/` and `api/`; each must be listed with its bound, and the list holds nothing that is gone.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EMPTY_CALLS = {"dict", "list", "set", "OrderedDict", "defaultdict", "deque"}

BOUNDED = {
    "engine/authoring/canary.py:_PASSED": "one pack hash per pack tried: grows by one per reload",
    "engine/batch/screen.py:_STATE": "the last _KEEP_STATES plans (_remember)",
    "engine/batch/screen.py:_PACKS": "the last _KEEP_PACKS packs (_remember)",
    "engine/evaluate/prior.py:sample": "no arguments: one file's contents",
    "engine/evaluate/status.py:_loader": "one generated loader per set of fields a pack reads",
    "engine/evaluate/whatif.py:title_test": "one node per title code of the vocabulary",
    "engine/language/semantics.py:_FIRST_ROWS": "cleared at 1,024 lookup tables",
    "engine/model/profile.py:field_kind": "one entry per profile field",
    "engine/model/results.py:_PLANS": "one plan per result model class",
}


def _filled_later(value: ast.expr | None) -> bool:
    """A container created empty: `{}`, `[]`, `set()`, `OrderedDict()`, `defaultdict(list)`, ..."""
    if isinstance(value, ast.Dict):
        return not value.keys
    if isinstance(value, (ast.List, ast.Set)):
        return not value.elts
    if isinstance(value, ast.Call) and not value.keywords:
        func = value.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        return name in EMPTY_CALLS and (not value.args or name == "defaultdict")
    return False


def _unbounded_cache(decorator: ast.expr) -> bool:
    func = decorator.func if isinstance(decorator, ast.Call) else decorator
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    if name == "cache":
        return True
    if name == "lru_cache" and isinstance(decorator, ast.Call):
        sizes = [k.value for k in decorator.keywords if k.arg == "maxsize"] + decorator.args[:1]
        return any(isinstance(s, ast.Constant) and s.value is None for s in sizes)
    return False


def process_caches() -> set[str]:
    found = set()
    for package in ("engine", "api"):
        for path in sorted((ROOT / package).rglob("*.py")):
            where = path.relative_to(ROOT).as_posix()
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, (ast.Assign, ast.AnnAssign)) and _filled_later(node.value):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    found |= {f"{where}:{t.id}" for t in targets if isinstance(t, ast.Name)}
                functions = [node] if isinstance(node, ast.FunctionDef) else []
                if isinstance(node, ast.ClassDef):
                    functions = [f for f in node.body if isinstance(f, ast.FunctionDef)]
                for function in functions:
                    if any(_unbounded_cache(d) for d in function.decorator_list):
                        found.add(f"{where}:{function.name}")
    return found


def test_every_process_cache_is_listed_with_its_bound() -> None:
    found = process_caches()
    assert sorted(found - BOUNDED.keys()) == [], "a new process-wide cache: bound it and list it in BOUNDED"
    assert sorted(BOUNDED.keys() - found) == [], "listed but no longer there"


def test_the_scan_finds_what_it_is_for() -> None:
    """The scan itself: the title registry's old globals would have been found."""
    old = "_TITLE_IDS: dict = {}\n_TITLES: list = []\nKEEP = {'a': 1}\nRULES = dict(ge=0)\n"
    assert [_filled_later(n.value) for n in ast.parse(old).body] == [True, True, False, False]  # type: ignore[attr-defined]
    cached = "@cache\ndef a(): ...\n@lru_cache(maxsize=None)\ndef b(): ...\n@lru_cache(maxsize=64)\ndef c(): ...\n"
    functions = ast.parse("from functools import cache, lru_cache\n" + cached).body[1:]
    assert [any(_unbounded_cache(d) for d in f.decorator_list) for f in functions] == [True, True, False]  # type: ignore[attr-defined]
