"""One expression visitor (issue 16): every walker over the rule AST derives from Visitor, and a walker
that does not handle every node type is refused when its class is created, so a new node type fails
loudly in each walker until it is handled there."""

from __future__ import annotations

import importlib
from dataclasses import dataclass

import pytest

from engine.language import expr as ex
from engine.language import visitor
from engine.language.nodes import NODE_TYPES
from engine.language.visitor import HANDLERS, Visitor

WALKERS = {  # module -> the walkers it defines
    "engine.evaluate.closures": ["_Closures"],
    "engine.batch.vectorized": ["BatchEvaluation"],
    "engine.evaluate.explain": ["Renderer"],
    "engine.language.types": ["Checker"],
    "engine.authoring.lintbase": ["RangeOf", "Outcomes"],
    "engine.evaluate.whatif": ["Repairer"],
    "tests.support.oracle": ["_Compiler", "_Logic", "_Truth"],
}


@pytest.mark.parametrize(("module", "name"), [(m, n) for m, names in WALKERS.items() for n in names])
def test_every_walker_is_a_visitor_handling_every_node_type(module: str, name: str) -> None:
    cls = getattr(importlib.import_module(module), name)
    assert issubclass(cls, Visitor)
    assert set(cls._table) == set(NODE_TYPES)


def test_a_walker_missing_a_node_type_is_refused_at_class_creation() -> None:
    with pytest.raises(TypeError, match="on_call"):

        class Partial(Visitor[int]):
            def leaf(self, node: ex.Node) -> int:
                return 0

            on_num = on_str = on_datelit = on_bool = on_name = on_neg = on_binop = leaf
            on_compare = on_and = on_or = on_not = leaf


def test_a_new_node_type_fails_in_a_walker_that_does_not_handle_it(monkeypatch: pytest.MonkeyPatch) -> None:
    @dataclass(frozen=True)
    class Power:
        left: ex.Node
        right: ex.Node

    monkeypatch.setitem(HANDLERS, Power, "on_power")
    monkeypatch.setattr(visitor, "NODE_TYPES", (*NODE_TYPES, Power))
    with pytest.raises(TypeError, match="on_power"):

        class Old(Visitor[int]):
            def leaf(self, node: ex.Node) -> int:
                return 0

            on_num = on_str = on_datelit = on_bool = on_name = on_neg = on_binop = leaf
            on_compare = on_and = on_or = on_not = on_call = leaf

    with pytest.raises(TypeError, match="cannot walk"):
        ex.children(Power(ex.Num(1), ex.Num(2)))  # type: ignore[arg-type]


def test_dispatch_reaches_the_handler_for_the_exact_type() -> None:
    class Count(Visitor[int]):
        def leaf(self, node: ex.Node) -> int:
            return 1

        def inner(self, node: ex.Node) -> int:
            return 1 + sum(self.visit(c) for c in ex.children(node))

        on_num = on_str = on_datelit = on_bool = on_name = leaf
        on_neg = on_binop = on_compare = on_and = on_or = on_not = on_call = inner

    tree = ex.parse("a + 1 > 2 and not b or max(a, 3) == 3", lambda n: n)
    assert Count().visit(tree) == len(ex.walk(tree))
