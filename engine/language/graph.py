"""The one dependency walk over a rule pack: what each rule reads, in which order rules are evaluated, and
what a set of rules depends on (upstream) or feeds (downstream).

A rule is a derived fact, a scorecard or a policy (all its dated versions together); reading a scorecard's
`<id>_passed` reads the scorecard. Every evaluator, lint, the screening plan, the boundary generator, the
rationale and the interview take these answers from here instead of walking the rules themselves.
"""

from __future__ import annotations

import graphlib
from collections.abc import Collection, Iterable, Iterator
from typing import Any, Protocol, TypeVar

from engine.language.rules import Expression
from engine.language.visitor import names

T = TypeVar("T")


class Pack(Protocol):  # engine.language.loader.RulePack, which builds its `order` with this module
    derived: dict[str, Any]
    scorecards: dict[str, Any]
    policies: dict[str, list[Any]]
    order: list[str]
    memo: dict[Any, Any]


def instances_of(obj: Any, kind: type[T]) -> Iterator[T]:
    """Every `kind` inside a rule object, outermost first (walks pydantic models and lists)."""
    if isinstance(obj, kind):
        yield obj
    if isinstance(obj, list):
        for item in obj:
            yield from instances_of(item, kind)
    elif hasattr(obj, "__pydantic_fields__"):
        for name in type(obj).model_fields:
            yield from instances_of(getattr(obj, name), kind)


def expressions_of(obj: Any) -> Iterator[Expression]:
    """Every expression inside a rule object."""
    return instances_of(obj, Expression)


def dependencies(item: Any) -> set[str]:
    """Every name a rule object's expressions read (facts, parameters, rules, `x_passed`, as_of)."""
    return set().union(*(names(e.ast) for e in expressions_of(item)))


def rule_id(name: str) -> str:
    """The rule a name reads: a scorecard's `<id>_passed` is the scorecard."""
    return name.removesuffix("_passed")


def rules_of(pack: Pack, ident: str) -> list[Any]:
    """The rule objects under one id: a derived fact, a scorecard, or every version of a policy."""
    item = pack.derived.get(ident) or pack.scorecards.get(ident)
    return [item] if item is not None else list(pack.policies.get(ident, []))


def _direct(pack: Pack) -> dict[str, set[str]]:
    ids = [*pack.derived, *pack.scorecards, *pack.policies]
    return {ident: {rule_id(d) for item in rules_of(pack, ident) for d in dependencies(item)} for ident in ids}


def direct(pack: Pack) -> dict[str, set[str]]:
    """Rule id -> every name it reads directly (rule ids for `_passed`), cached with the pack."""
    table = pack.memo.get(direct)
    if table is None:
        table = pack.memo[direct] = _direct(pack)
    return table


def reads_of(pack: Pack, ident: str) -> set[str]:
    """The names one rule reads directly (empty for a field or a parameter)."""
    return direct(pack).get(ident, set())


def evaluation_order(pack: Pack) -> list[str]:
    """Every rule id, each after the rules it reads (graphlib.CycleError on a cycle)."""
    table = _direct(pack)  # not cached: the pack is still being built when the loader asks
    graph = {ident: reads & table.keys() for ident, reads in table.items()}
    return list(graphlib.TopologicalSorter(graph).static_order())


def upstream(pack: Pack, start: Iterable[str]) -> set[str]:
    """`start` and every name read from it, directly or not (rules, fields, parameters, as_of)."""
    table, seen, todo = direct(pack), set(), [*start]
    while todo:
        name = rule_id(todo.pop())
        if name not in seen:
            seen.add(name)
            todo += table.get(name, ())
    return seen


def cone(pack: Pack, targets: Collection[str]) -> list[str]:
    """The rules `targets` need (themselves included), in evaluation order."""
    needed = upstream(pack, targets)
    return [ident for ident in pack.order if ident in needed]


def downstream(pack: Pack, start: Iterable[str]) -> set[str]:
    """Every rule that reads any of `start`, directly or not (`start` itself only if it reads itself back)."""
    readers = pack.memo.get(downstream)
    if readers is None:
        readers = pack.memo[downstream] = {}
        for ident, reads in direct(pack).items():
            for name in reads:
                readers.setdefault(name, set()).add(ident)
    found: set[str] = set()
    todo = list(start)
    while todo:
        for reader in readers.get(todo.pop(), ()):
            if reader not in found:
                found.add(reader)
                todo.append(reader)
    return found
