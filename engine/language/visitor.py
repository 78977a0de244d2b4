"""The one expression visitor: every walker over the rule AST derives from `Visitor`.

`visit(node, *args)` dispatches on the node's exact type to the walker's `on_<type>` method through a
table built once per class. A subclass that lacks a handler for any node type is refused when its
class is created (at import), so adding a node type to engine/language/nodes.py fails loudly in every
walker until each says what the new node means for it. A walker that only cares about some node
types says so explicitly (e.g. `on_str = on_date = on_bool = nothing`), never by a silent default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

from engine.language.nodes import (
    NODE_TYPES,
    And,
    BinOp,
    Bool,
    Call,
    Compare,
    DateLit,
    Name,
    Neg,
    Node,
    Not,
    Num,
    Or,
    Str,
)

T = TypeVar("T")

# node type -> the handler a walker must define for it
HANDLERS: dict[type, str] = {t: f"on_{t.__name__.lower()}" for t in NODE_TYPES}


class Visitor(Generic[T]):
    """Base of every expression walker; see the module docstring for the contract."""

    _table: ClassVar[dict[type, Callable[..., Any]]] = {}

    def __init_subclass__(cls, abstract: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if abstract:  # a partial base shared by several walkers: checked in its concrete subclasses
            return
        missing = [name for name in HANDLERS.values() if not callable(getattr(cls, name, None))]
        if missing:
            raise TypeError(f"{cls.__qualname__} handles no {', '.join(missing)} (see engine/language/visitor.py)")
        cls._table = {t: getattr(cls, name) for t, name in HANDLERS.items()}

    def visit(self, node: Node, *args: Any) -> T:
        try:
            handler = self._table[type(node)]
        except KeyError:
            raise TypeError(f"{type(self).__qualname__} cannot walk {node!r}") from None
        return handler(self, node, *args)


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of a node (the one place that knows each node's shape)."""
    if type(node) in (And, Or):
        return node.operands  # type: ignore[union-attr]
    if type(node) in (BinOp, Compare):
        return (node.left, node.right)  # type: ignore[union-attr]
    if type(node) in (Neg, Not):
        return (node.operand,)  # type: ignore[union-attr]
    if type(node) is Call:
        return node.args
    if type(node) in (Num, Str, DateLit, Bool, Name):
        return ()  # a leaf
    raise TypeError(f"children() cannot walk {node!r}")


def walk(node: Node) -> list[Node]:
    """Every node of a tree, outermost first, without recursion."""
    found, todo = [], [node]
    while todo:
        item = todo.pop()
        found.append(item)
        todo += reversed(children(item))
    return found


def depth(node: Node) -> int:
    """Depth of a tree, without recursion (whatever its size)."""
    deepest, todo = 0, [(node, 1)]
    while todo:
        item, level = todo.pop()
        deepest = max(deepest, level)
        todo += [(child, level + 1) for child in children(item)]
    return deepest


def names(node: Node) -> set[str]:
    """Every name an expression reads."""
    return {n.name for n in walk(node) if type(n) is Name}  # type: ignore[union-attr]
