"""The expression AST: one frozen dataclass per node type (parsed by engine.language.expr).

Every walker over these nodes derives from engine.language.visitor.Visitor, which refuses at import
any walker that does not handle every type in NODE_TYPES: a new node type goes here, in NODE_TYPES,
and then fails loudly in each walker until it is handled there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import get_args


@dataclass(frozen=True)
class Num:
    value: float
    percent: bool = False  # written as 3% (value 0.03): shown back as a percentage


@dataclass(frozen=True)
class Str:
    value: str


@dataclass(frozen=True)
class DateLit:
    value: date


@dataclass(frozen=True)
class Bool:
    value: bool


@dataclass(frozen=True)
class Name:
    name: str  # canonical id after resolution


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class BinOp:
    op: str  # + - * /
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare:
    op: str  # < <= > >= == !=
    left: Node
    right: Node


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    operand: Node


Node = Num | Str | DateLit | Bool | Name | Call | Neg | BinOp | Compare | And | Or | Not
NODE_TYPES: tuple[type, ...] = get_args(Node)
