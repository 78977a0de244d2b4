"""The function table of the rule language: one module per function, found by the registry.

Each module here defines `FUNCTION`, a `Function` whose docstring is the module's own (What /
Why / Example), so adding a function means adding one module (and its tests): the parser
(arity), both evaluators (the scalar one calls `scalar`; the vectorised one applies it per
distinct row unless it has a faster path), the explanation (`words`), lint's range reasoning
(`bounds`), the type check (`numeric`) and docs/rules.md (`ipcheck rules functions`) all read it from here.

Every function is total over known values and returns None (unknown) when an input it needs is
unknown.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

Bounds = tuple[float, float]  # a closed range of numbers (±inf for unbounded)


@dataclass(frozen=True)
class Function:
    name: str
    min_args: int
    max_args: int | None  # None: any number
    scalar: Callable[..., Any]  # (*args), or (profile, as_of, *args) when it `reads` a field
    words: Callable[[list[str], str], str]  # a call in words, from its rendered arguments, in "zh" or "en"
    signature: str  # as a rule author writes it, e.g. "round_to(x, step)"
    reads: str | None = None  # the profile field it reads itself (unknown when that is unknown)
    bounds: Callable[[list[Bounds | None]], Bounds | None] | None = None  # its range, from its arguments'
    numeric: bool = False  # takes numbers and gives a number of its first argument's kind (the type check)
    doc: str = ""  # What / Why / Example (the module's docstring)


def plain(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Lift a function of known values: unknown if any argument is unknown."""

    def lifted(*args: Any) -> Any:
        return None if any(a is None for a in args) else fn(*args)

    return lifted


def _discover() -> dict[str, Function]:
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        function: Function = module.FUNCTION
        found[function.name] = Function(**{**function.__dict__, "doc": (module.__doc__ or "").strip()})
    return found


REGISTRY: dict[str, Function] = _discover()
# Plain functions of their arguments, by name (the vectorised evaluator's per-value fallback).
SCALAR: dict[str, Callable[..., Any]] = {f.name: f.scalar for f in REGISTRY.values() if f.reads is None}


# The evaluators' helpers by their old names (after discovery: these names are also the modules').
years_between: Callable[[date, date], int] = REGISTRY["years_between"].scalar
has_title: Callable[..., bool | None] = REGISTRY["has_title"].scalar
