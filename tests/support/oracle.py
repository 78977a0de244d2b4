"""durable-rules as an independent second implementation of the policies: a differential-test oracle.

ipcheck's own evaluator (engine.evaluate.evaluator) is the product. This module exists so that
tests can check it against a different engine that reads the same rule pack: every
policy condition tree is compiled, from the rule AST (engine.language.expr nodes), into
durable-rules rules; nothing here is a hand-written copy of a rule. See
docs/decisions/0001-own-evaluator-durable-rules-as-oracle.md for why durable-rules is
not the product (threads, sessions, no unloading, no explanations, unmaintained).

How a decision is reached
-------------------------
durable-rules has no "unknown" and no negated pattern match, so the three values are
built from two positive rules per *atom* (a leaf expression that is not and/or/not:
a comparison, a function call, a boolean fact):

* rule T fires when every fact the atom reads is present, no divisor is zero, and the
  atom holds;
* rule U fires when a fact the atom reads is missing or a divisor is zero;
* when neither fires, the atom is false (all its facts are present, so classical
  two-valued logic is exact for it).

Within an atom, durable-rules does all the work: comparisons, arithmetic (as
durable-rules expressions), ``starts_with`` as a pattern match, ``one_of`` as a
disjunction, ``has_title`` as ``anyItem`` over the titles, ``min``/``max``/``abs``
rewritten into conjunctions and disjunctions of comparisons, and ``years_between``
compared with an integer rewritten over dates encoded as yyyymmdd numbers (the whole
years from A to B are floor((B - A) / 10000)). The and / or / not of expressions and
the all / any / not of condition trees are then combined in strong Kleene logic by
the small combinator at the end of this module.

Facts and what is precomputed
-----------------------------
One fact per evaluation carries the profile fields that are known (missing ones are
left out: absent, never zero), ``as_of``, and the parameters in force on ``as_of``
(pack data, selected by date). Derived facts given by a ``formula`` are inlined into
the rules that read them, so durable-rules computes them. Derived facts given by
``cases``, ``lookup`` or ``brackets`` and scorecard results are **not** expressed in
durable-rules: first-match tables need "no earlier row matched", which durable-rules
cannot say for prefix lookups (its patterns have no negation, and a negated character
range over Unicode crashes the engine), and scorecards need interval arithmetic.
Those values are **precomputed with the evaluator's own values** (engine.evaluate.evaluator
.Evaluation) and passed in as facts; so the oracle checks policies and formulas
independently, and cases / lookups / brackets / scorecards only as inputs. (The pack
in rules/ reads such facts: the enterprise size class, a table of required R&D
ratios and the designation scorecards; the differential test asserts that nothing
else is precomputed.) A policy that reads another policy uses the oracle's own
result for it, asserted in a later fact ("layer"); each atom is decided once, in
the first layer whose fact has all it reads.

Engine discipline
-----------------
durable-rules is not thread-safe: there is one host and one lock, every evaluation
uses a fresh session id, and its state is deleted in a ``finally``. The host is
durable's own Host without its two background dispatch threads (they call into the
engine every 0.2 s, outside any lock of ours; every action here runs synchronously
inside ``assert_fact``). Rulesets cannot be unloaded, so a compiled pack is cached
by its hash and registered once per process. Numbers are sent as floats (integer
division by zero kills the process with SIGFPE), so integers above 2**53 lose
precision here.

durable-rules walks its alpha network (the tree of single-fact tests) with a fixed
stack of 64 nodes: a fact that matches more than 64 nodes at once fails with error
303, and the overflow can corrupt the heap, so that the process aborts later
(``munmap_chunk(): invalid pointer`` in ``delete_state``). With a test per fact read,
present or missing, a pack reading more than about 60 facts cannot be one ruleset.
The atoms are therefore packed, in order, into several rulesets, each under a static
upper bound of that stack (``_stack_bound``, with a margin: ``STACK_BUDGET``); an atom
that alone exceeds it is refused when compiling (``OracleUnsupported``). Each layer's
fact is asserted into that layer's rulesets, in the same session id.
"""

from __future__ import annotations

import itertools
import json
import operator
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

from durable import engine as durable_engine
from durable.lang import avalue, item, value, when_all

from engine.evaluate.evaluator import Evaluation
from engine.language import expr as ex
from engine.language import semantics as sem
from engine.language.loader import RulePack, dependencies
from engine.language.rules import Condition, Policy
from engine.language.visitor import Visitor
from engine.model.profile import FIELDS, LEVEL_RANK, EnterpriseProfile, Level, field_kind

ZERO, ONE, KIND, LAYER = "_zero", "_one", "_kind", "_layer"
RESERVED = {"sid", "id"}  # durable-rules' own keys
NO_END = 99991231.0  # a title without an end date


class OracleUnsupported(Exception):
    """A construct of the pack that the oracle cannot express in durable-rules (raised at compile)."""


class OracleError(Exception):
    """durable-rules failed or contradicted itself during an evaluation."""


# --- the one host and its lock ------------------------------------------------


class _Host(durable_engine.Host):
    """durable's Host without the background dispatch threads (see the module docstring)."""

    def _run(self) -> None:
        return None


_HOST = _Host()
_LOCK = threading.Lock()
_SESSIONS = itertools.count(1)
_COMPILED: dict[str, _Compiled] = {}


# --- encoding facts -----------------------------------------------------------


def encode(value_: Any) -> Any:
    """A fact value as durable-rules receives it; None stays None (the key is left out)."""
    if isinstance(value_, Enum):
        return value_.value
    if value_ is None or isinstance(value_, (bool, str)):
        return value_
    if isinstance(value_, (int, float)):
        return float(value_)
    if isinstance(value_, date):
        return float(value_.year * 10000 + value_.month * 100 + value_.day)
    if isinstance(value_, list):
        return [_title(t) for t in value_]
    raise OracleError(f"cannot pass {value_!r} to durable-rules")


def _title(title: Any) -> dict[str, Any]:
    rank = LEVEL_RANK[Level(title.level)] if title.level else 0
    return {
        "title": title.title,
        "rank": float(rank),
        "since": encode(title.valid_from) or 0.0,
        "until": encode(title.valid_to) or NO_END,
    }


# --- three-valued combination ------------------------------------------------


@dataclass(frozen=True)
class _Atom:
    index: int


@dataclass(frozen=True)
class _Const:
    value: bool


@dataclass(frozen=True)
class _Not:
    part: Logic


@dataclass(frozen=True)
class _Junction:
    decides: bool  # True for any/or (a true part decides), False for all/and
    parts: tuple[Logic, ...]


Logic = _Atom | _Const | _Not | _Junction


def kleene(tree: Logic, atoms: dict[int, bool | None]) -> bool | None:
    """Strong Kleene value of a logic tree given the atoms' values."""
    if isinstance(tree, _Atom):
        return atoms[tree.index]
    if isinstance(tree, _Const):
        return tree.value
    if isinstance(tree, _Not):
        part = kleene(tree.part, atoms)
        return None if part is None else not part
    values = [kleene(p, atoms) for p in tree.parts]
    if tree.decides in values:
        return tree.decides
    return None if None in values else not tree.decides


# --- terms: the operands of comparisons -------------------------------------


@dataclass
class _Term:
    """A compiled operand: a constant, a fact field, or durable-rules arithmetic."""

    const: Any = None
    field: str | None = None
    build: Callable[[], avalue] | None = None  # fresh each call: avalue objects mutate

    def operand(self) -> Any:
        if self.field is not None:
            return avalue("$m", self.field)
        return self.build() if self.build is not None else self.const

    def arith(self) -> avalue:
        """As a left operand of arithmetic (durable-rules wants a field there, so 1 * c for a constant)."""
        if self.field is None and self.build is None:
            return avalue("$m", ONE) * self.const
        return self.operand()


# The operators of engine.language.semantics applied to durable-rules terms; division is plain here because
# a zero divisor is handled by the atom's `divisors` (the atom is unknown, as semantics.divide makes it).
_ARITH: dict[str, Callable[[Any, Any], Any]] = {**sem.ARITH, "/": operator.truediv}
_CMP: dict[str, Callable[[Any, Any], Any]] = sem.COMPARE
_FLIP = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "==": "==", "!=": "!="}


def _all(parts: list[value]) -> value:
    out = parts[0]
    for p in parts[1:]:
        out = out & p
    return out


def _any(parts: list[value]) -> value:
    out = parts[0]
    for p in parts[1:]:
        out = out | p
    return out


def _pattern(prefix: str) -> str:
    """A durable-rules pattern for 'starts with prefix' (% escapes punctuation)."""
    return "".join(f"%{ch}" if not ch.isalnum() and ord(ch) < 128 else ch for ch in prefix) + ".*"


# --- the compiler -------------------------------------------------------------


@dataclass
class _AtomRules:
    true: value  # the atom holds (facts assumed present)
    reads: set[str]  # facts it needs
    divisors: list[_Term]  # must not be zero


class _Logic(Visitor[Logic]):
    """A condition -> a logic tree over atoms (derived formulas inlined)."""

    def __init__(self, compiler: _Compiler) -> None:
        self.compiler = compiler

    def on_bool(self, node: ex.Bool) -> Logic:
        return _Const(node.value)

    def on_and(self, node: ex.And | ex.Or) -> Logic:
        return _Junction(isinstance(node, ex.Or), tuple(self.visit(p) for p in node.operands))

    on_or = on_and

    def on_not(self, node: ex.Not) -> Logic:
        return _Not(self.visit(node.operand))

    def atom(self, node: ex.Node) -> Logic:
        formula = self.compiler.formula(node)
        return self.visit(formula) if formula is not None else _Atom(self.compiler.atom(node))

    on_num = on_str = on_datelit = on_name = on_call = on_neg = on_binop = on_compare = atom


class _Truth(Visitor[value]):
    """An atom -> a durable-rules condition that holds when it is true."""

    def __init__(self, compiler: _Compiler) -> None:
        self.compiler = compiler

    def on_compare(self, node: ex.Compare) -> value:
        return self.compiler.compare(node.op, node.left, node.right)

    def on_call(self, node: ex.Call) -> value:
        if node.func not in ("starts_with", "one_of", "has_title"):
            return self.unsupported(node)
        return getattr(self.compiler, "call_" + node.func)(node.args)

    def on_name(self, node: ex.Name) -> value:  # a fact used as a condition: true when not 0 / empty / false
        name = self.compiler.term(node).field
        assert name is not None
        return value("$m", name) != ("" if self.compiler.is_text(name) else 0.0)

    def unsupported(self, node: ex.Node) -> value:
        raise OracleUnsupported(f"cannot use {type(node).__name__} {getattr(node, 'func', '')} as a condition")

    on_num = on_str = on_datelit = on_bool = on_neg = on_binop = on_and = on_or = on_not = unsupported


class _Compiler(Visitor[_Term]):
    """Rule AST -> logic trees over atoms, and durable-rules conditions for each atom; as a visitor,
    an arithmetic expression -> a durable-rules term."""

    def __init__(self, pack: RulePack) -> None:
        self.pack = pack
        self.atoms: list[_AtomRules] = []
        self.index: dict[ex.Node, int] = {}
        self.reads: set[str] = set()
        self.divisors: list[_Term] = []
        self._logic, self._truth = _Logic(self), _Truth(self)

    # logic
    def condition(self, cond: Condition) -> Logic:
        if cond.when is not None:
            return self.logic(cond.when.ast)
        if cond.not_ is not None:
            return _Not(self.condition(cond.not_))
        return _Junction(cond.any is not None, tuple(self.condition(c) for c in cond.children()))

    def logic(self, node: ex.Node) -> Logic:
        return self._logic.visit(node)

    def formula(self, node: ex.Node) -> ex.Node | None:
        """The formula of a derived fact named by `node`, which is inlined rather than passed in."""
        if isinstance(node, ex.Name) and node.name in self.pack.derived:
            return self.pack.derived[node.name].formula.ast if self.pack.derived[node.name].formula else None
        return None

    def atom(self, node: ex.Node) -> int:
        if node in self.index:
            return self.index[node]
        self.reads, self.divisors = set(), []
        true = self.truth(node)
        self.index[node] = len(self.atoms)
        self.atoms.append(_AtomRules(true, self.reads, self.divisors))
        return self.index[node]

    def truth(self, node: ex.Node) -> value:
        """A durable-rules condition that holds when the atom is true (its facts being present)."""
        return self._truth.visit(node)

    # comparisons
    def compare(self, op: str, left: ex.Node, right: ex.Node) -> value:
        left, right = self.inline(left), self.inline(right)
        special = ("min", "max", "abs", "years_between")
        if self.is_call(right, *special) and not self.is_call(left, *special):
            op, left, right = _FLIP[op], right, left
        if self.is_call(left, "abs"):
            left = ex.Call("max", (left.args[0], ex.Neg(left.args[0])))  # type: ignore[union-attr]
        if self.is_call(left, "min", "max"):
            return self.extreme(op, left, right)  # type: ignore[arg-type]
        if self.is_call(left, "years_between"):
            return self.years(op, left, right)  # type: ignore[arg-type]
        return self.compare_terms(op, self.term(left), self.term(right))

    def extreme(self, op: str, call: ex.Call, right: ex.Node) -> value:
        """min/max(a, b, ...) op r as and/or of a op r (exact when every fact is present)."""
        low = call.func == "min"
        parts = lambda o, join: join([self.compare(o, a, right) for a in call.args])  # noqa: E731
        every, some = _all, _any
        if op in ("==", "!="):
            bound = ">=" if low else "<="
            if op == "==":
                return parts(bound, every) & parts("==", some)
            beyond = "<" if low else ">"
            return parts(beyond, some) | parts(_FLIP[beyond], every)
        settles_all = (op in (">", ">=")) == low  # min >= r: every argument; max >= r: some argument
        return parts(op, every if settles_all else some)

    def years(self, op: str, call: ex.Call, right: ex.Node) -> value:
        """years_between(a, b) op k, k an integer: compares b - a (dates as yyyymmdd) with k * 10000."""
        start, end = self.term(call.args[0]), self.term(call.args[1])
        k = self.term(right)
        if not self.integral(right):
            raise OracleUnsupported("years_between() can only be compared with a whole number")
        span = _Term(build=lambda: end.arith() - start.operand())
        constant = k.build is None and k.field is None
        low = _Term(const=k.const * 10000.0) if constant else _Term(build=lambda: k.arith() * 10000.0)
        high = _Term(const=(k.const + 1) * 10000.0) if constant else _Term(build=lambda: (k.arith() + 1.0) * 10000.0)
        within = {
            "<": [("<", low)],
            "<=": [("<", high)],
            ">": [(">=", high)],
            ">=": [(">=", low)],
            "==": [(">=", low), ("<", high)],
        }
        if op == "!=":
            return self.compare_terms("<", span, low) | self.compare_terms(">=", span, high)
        return _all([self.compare_terms(o, span, bound) for o, bound in within[op]])

    def integral(self, node: ex.Node) -> bool:
        if isinstance(node, ex.Num):
            return float(node.value).is_integer()
        if isinstance(node, ex.Name) and node.name in self.pack.parameters:
            return all(
                isinstance(v.value, (int, float)) and float(v.value).is_integer()
                for v in self.pack.parameters[node.name].versions
            )
        return False

    def compare_terms(self, op: str, left: _Term, right: _Term) -> value:
        if left.field is not None:
            return _CMP[op](value("$m", left.field), right.operand())
        if right.field is not None:
            return _CMP[_FLIP[op]](value("$m", right.field), left.operand())
        if isinstance(left.const, str) or isinstance(right.const, str):
            raise OracleUnsupported("text can only be compared with a fact")
        # l op r  <=>  0 op r - l  (exact in IEEE arithmetic)
        return _CMP[op](value("$m", ZERO), _Term(build=lambda: right.arith() - left.operand()).operand())

    # function calls
    def call_starts_with(self, args: tuple[ex.Node, ...]) -> value:
        text = self.term(args[0])
        prefixes = [self.constant_text(a) for a in args[1:]]
        if text.field is None or None in prefixes:
            raise OracleUnsupported("starts_with() needs a fact and literal prefixes")
        return _any([value("$m", text.field).matches(_pattern(p)) for p in prefixes])  # type: ignore[arg-type]

    def constant_text(self, node: ex.Node) -> str | None:
        """A text literal, or a text parameter with one value in every version (a ruleset is not dated)."""
        if isinstance(node, ex.Str):
            return node.value
        if isinstance(node, ex.Name) and node.name in self.pack.parameters:
            values = {v.value for v in self.pack.parameters[node.name].versions}
            if len(values) == 1 and isinstance(next(iter(values)), str):
                return next(iter(values))
        return None

    def call_one_of(self, args: tuple[ex.Node, ...]) -> value:
        return _any([self.compare("==", args[0], option) for option in args[1:]])

    def call_has_title(self, args: tuple[ex.Node, ...]) -> value:
        if not all(isinstance(a, ex.Str) for a in args):
            raise OracleUnsupported("has_title() needs literal title and level")
        self.fact("titles")
        self.fact("as_of")
        need = float(LEVEL_RANK[Level(args[1].value)]) if len(args) > 1 else 0.0  # type: ignore[union-attr]
        code = args[0].value  # type: ignore[union-attr]
        return value("$m", "titles").anyItem(
            (item.title == code)
            & (item.rank >= need)
            & (item.since <= value("$m", "as_of"))
            & (item.until >= value("$m", "as_of"))
        )

    # operands
    def inline(self, node: ex.Node) -> ex.Node:
        formula = self.formula(node)
        return node if formula is None else self.inline(formula)

    def term(self, node: ex.Node) -> _Term:
        return self.visit(self.inline(node))

    def on_literal(self, node: ex.Num | ex.Str | ex.Bool | ex.DateLit) -> _Term:
        return _Term(const=encode(node.value))

    on_num = on_str = on_bool = on_datelit = on_literal

    def on_name(self, node: ex.Name) -> _Term:
        if node.name in FIELDS and field_kind(node.name) == "titles":
            raise OracleUnsupported("titles can only be read through has_title()")
        return _Term(field=self.fact(node.name))

    def on_neg(self, node: ex.Neg) -> _Term:
        inner = self.term(node.operand)
        return _Term(build=lambda: inner.arith() * -1.0)

    def on_binop(self, node: ex.BinOp) -> _Term:
        left, right = self.term(node.left), self.term(node.right)
        if node.op == "/":
            self.divisors.append(right)
        return _Term(build=lambda: _ARITH[node.op](left.arith(), right.operand()))

    def not_arithmetic(self, node: ex.Node) -> _Term:
        raise OracleUnsupported(
            f"cannot compute {type(node).__name__} {getattr(node, 'func', '')} inside arithmetic in durable-rules"
        )

    on_call = on_compare = on_and = on_or = on_not = not_arithmetic

    def fact(self, name: str) -> str:
        if name in RESERVED:
            raise OracleUnsupported(f"{name!r} is a reserved key in durable-rules")
        self.reads.add(name)
        return name

    def is_text(self, name: str) -> bool:
        if name in FIELDS:
            return field_kind(name) in ("text", "level")
        if name in self.pack.parameters:
            return any(isinstance(v.value, str) for v in self.pack.parameters[name].versions)
        rule = self.pack.derived.get(name)
        if rule is None:
            return False
        table = rule.lookup.table if rule.lookup else (rule.cases or (rule.brackets.rows if rule.brackets else []))
        return any(isinstance(getattr(row, "value", None), str) for row in table)

    @staticmethod
    def is_call(node: ex.Node, *funcs: str) -> bool:
        return isinstance(node, ex.Call) and node.func in funcs


# --- a compiled pack -----------------------------------------------------------

# durable-rules 2.0.28 walks its alpha network with a fixed stack of 64 nodes: a fact
# that matches more than 64 of them at once fails with error 303 and may already have
# corrupted the heap (the process then aborts later, e.g. in delete_state). A pack is
# therefore split into several rulesets, each kept under a static bound of that stack.
STACK_LIMIT = 64
STACK_BUDGET = 56  # a margin below the limit
FACT_KEYS_LIMIT = 253  # more keys in one fact: error 302 (measured with durable-rules 2.0.28)


@dataclass
class _Chunk:
    name: str  # a durable-rules ruleset
    layer: int  # the layer whose fact it receives
    atoms: set[int]  # the atoms it decides
    stack: int  # its bound of durable-rules' alpha stack


@dataclass
class _Compiled:
    trees: dict[int, Logic]  # id(policy version) -> logic tree
    layers: list[list[str]]  # policy ids, each layer reading only earlier layers
    chunks: list[_Chunk]  # the rulesets
    reads: set[str]  # every fact some rule reads
    precomputed: set[str]  # facts taken from the evaluator
    policies_for_facts: set[str]  # policies those facts read
    fired: list[tuple[str, int, float]]  # (T|U|seen, atom, layer) of the running evaluation


def _compile(pack: RulePack) -> _Compiled:
    compiler = _Compiler(pack)
    trees: dict[int, Logic] = {}
    depth: dict[str, int] = {}
    for ident in pack.order:
        if ident not in pack.policies:
            continue
        read: set[str] = set()
        for version in pack.policies[ident]:
            trees[id(version)] = compiler.condition(version.conditions)
            read |= set().union(*(compiler.atoms[n].reads for n in _atoms_of(trees[id(version)])))
        depth[ident] = 1 + max((depth[p] for p in read if p in depth), default=-1)
    layers = [[p for p in depth if depth[p] == n] for n in range(1 + max(depth.values(), default=-1))]
    reads = set().union(*(a.reads for a in compiler.atoms)) if compiler.atoms else set()
    keys = reads | {"as_of", "sid", KIND, LAYER, ZERO, ONE}
    if len(keys) > FACT_KEYS_LIMIT:
        raise OracleUnsupported(
            f"the pack reads {len(keys)} facts; durable-rules takes at most {FACT_KEYS_LIMIT} keys in one fact"
        )
    computed = set(pack.derived) | set(pack.scorecards) | {s + "_passed" for s in pack.scorecards}
    facts = [pack.derived.get(n) or pack.scorecards.get(n.removesuffix("_passed")) for n in reads & computed]
    compiled = _Compiled(
        trees=trees,
        layers=layers,
        chunks=[],
        reads=reads,
        precomputed=reads & computed,
        policies_for_facts=set().union(*(dependencies(f) for f in facts)) & set(pack.policies),
        fired=[],
    )
    # An atom is decided in the first layer whose fact carries the policy results it reads;
    # its value holds for the later layers, whose facts only add results.
    atom_layers = [1 + max((depth[p] for p in a.reads if p in depth), default=-1) for a in compiler.atoms]
    compiled.chunks = _register(compiled, compiler.atoms, atom_layers, f"ipcheck_oracle_{pack.hash}")
    return compiled


def _atoms_of(tree: Logic) -> set[int]:
    if isinstance(tree, _Atom):
        return {tree.index}
    if isinstance(tree, _Not):
        return _atoms_of(tree.part)
    if isinstance(tree, _Junction):
        return set().union(*(_atoms_of(p) for p in tree.parts))
    return set()


Definition = dict[str, Any]


def _register(compiled: _Compiled, atoms: list[_AtomRules], layers: list[int], prefix: str) -> list[_Chunk]:
    """Register the atoms' rules as rulesets, one layer at a time, each filled while the stack bound allows."""
    # Every rule starts with a positive test: a rule made only of "-m.x" (or "+m.sid")
    # never returns from assert_fact in durable-rules 2.0.28.
    seen = lambda: when_all(_profile())(_recorder(compiled, "seen", -1)).define()  # noqa: E731
    groups: list[tuple[int, set[int], list[Definition]]] = []
    for n in sorted(range(len(atoms)), key=lambda k: layers[k]):
        rules = _atom_rules(compiled, n, atoms[n])
        if _stack_bound([seen(), *rules]) > STACK_BUDGET:
            raise OracleUnsupported(
                f"a condition reading {sorted(atoms[n].reads)} needs more than {STACK_BUDGET} "
                f"alpha nodes on durable-rules' stack (limit {STACK_LIMIT})"
            )
        if not groups or groups[-1][0] != layers[n] or _stack_bound([*groups[-1][2], *rules]) > STACK_BUDGET:
            groups.append((layers[n], set(), [seen()]))  # durable takes 'run' out of a definition
        groups[-1][1].add(n)
        groups[-1][2].extend(rules)
    chunks = [
        _Chunk(f"{prefix}_{k}", layer, members, _stack_bound(rules)) for k, (layer, members, rules) in enumerate(groups)
    ]
    try:
        _HOST.register_rulesets(
            {
                chunk.name: {f"r_{n}": rule for n, rule in enumerate(rules)}
                for chunk, (_, _, rules) in zip(chunks, groups)
            }
        )
    except Exception as e:  # durable-rules reports compile failures as bare error codes
        raise OracleUnsupported(f"durable-rules refused the compiled ruleset: {e}") from e
    return chunks


def _profile() -> value:
    return value("$m", KIND) == "profile"


def _atom_rules(compiled: _Compiled, n: int, atom: _AtomRules) -> list[Definition]:
    """Rule T (the atom holds, its facts present) and, if it can be unknown, rule U."""
    reads = sorted(atom.reads)
    present = [+value("$m", r) for r in reads]
    nonzero = [_divisor(d, "!=") for d in atom.divisors]
    rules = [when_all(_all([_profile(), *present, *nonzero, atom.true]))(_recorder(compiled, "T", n))]
    unknown = [-value("$m", r) for r in reads] + [_divisor(d, "==") for d in atom.divisors]
    if unknown:
        rules.append(when_all(_profile() & _any(unknown))(_recorder(compiled, "U", n)))
    return [rule.define() for rule in rules]


def _stack_bound(rules: list[Definition]) -> int:
    """An upper bound of the alpha nodes a fact can put on durable-rules' stack at once.

    The alpha network is a tree of tests, in the order written, shared between rules
    where a path begins with the same tests, and a disjunction is one branch per
    conjunction of its disjunctive normal form. Walking it, durable-rules pushes every
    child of a node that matches; at worst every child matches, so while a node is
    expanded the stack holds its children and the siblings left at each ancestor.
    (Checked against durable-rules: 64 matching children pass, 65 fail with 303.)
    """
    tree: dict[str, Any] = {}
    for rule in rules:
        for pattern in rule["all"]:
            for branch in _dnf(next(iter(pattern.values()))):
                node = tree
                for test in branch:
                    node = node.setdefault(test, {})

    def worst(node: dict[str, Any], above: int) -> int:
        here = above + len(node)
        return max([here, *(worst(child, here - 1) for child in node.values())])

    return worst(tree, 0)


def _dnf(expression: Any) -> list[tuple[str, ...]]:
    """The conjunctions (each a tuple of tests, as canonical JSON) whose disjunction is the expression."""
    if isinstance(expression, dict) and set(expression) == {"$and"}:
        out: list[tuple[str, ...]] = [()]
        for part in expression["$and"]:
            out = [a + b for a in out for b in _dnf(part)]
        return out
    if isinstance(expression, dict) and set(expression) == {"$or"}:
        return [branch for part in expression["$or"] for branch in _dnf(part)]
    return [(json.dumps(expression, sort_keys=True, default=str),)]


def _divisor(term: _Term, op: str) -> value:
    if term.field is not None:
        return _CMP[op](value("$m", term.field), 0.0)
    return _CMP[op](value("$m", ZERO), term.operand())


def _recorder(compiled: _Compiled, tag: str, atom: int) -> Callable[[Any], None]:
    def action(c: Any) -> None:
        compiled.fired.append((tag, atom, c.m[LAYER]))

    return action


# --- the oracle ---------------------------------------------------------------


class OracleEvaluator:
    """Decides a pack's policies with durable-rules: `decide(profile, as_of) -> {policy_id: status}`."""

    def __init__(self, pack: RulePack) -> None:
        self.pack = pack
        with _LOCK:
            if pack.hash not in _COMPILED:
                _COMPILED[pack.hash] = _compile(pack)
            self.compiled = _COMPILED[pack.hash]

    def facts(self, profile: EnterpriseProfile, as_of: date) -> dict[str, Any]:
        reads = self.compiled.reads
        values: dict[str, Any] = {"as_of": as_of}
        values |= {name: getattr(profile, name) for name in reads & FIELDS.keys()}
        for name in reads & self.pack.parameters.keys():
            version = self.pack.parameters[name].version_on(as_of)
            values[name] = None if version is None else version.value
        if self.compiled.precomputed:
            values |= self.precompute(profile, as_of)
        return {name: encode(v) for name, v in values.items() if v is not None}

    def precompute(self, profile: EnterpriseProfile, as_of: date) -> dict[str, Any]:
        """The facts durable-rules does not compute, from the evaluator's own derivations and scorecards."""
        evaluation = Evaluation(profile, self.pack, as_of)
        for ident in self.pack.order:
            if ident in self.pack.derived:
                evaluation.derive(self.pack.derived[ident])
            elif ident in self.pack.scorecards:
                evaluation.score(self.pack.scorecards[ident])
            elif ident in self.compiled.policies_for_facts:
                evaluation.decide(ident)
        return {name: evaluation.values.get(name) for name in self.compiled.precomputed}

    def decide(self, profile: EnterpriseProfile, as_of: date) -> dict[str, str]:
        facts = self.facts(profile, as_of)
        decisions: dict[str, str] = {}
        with _LOCK:
            sid = str(next(_SESSIONS))
            used: list[str] = []  # rulesets that hold a session
            atoms = _FalseByDefault()
            try:
                for layer, policies in enumerate(self.compiled.layers):
                    for chunk in (c for c in self.compiled.chunks if c.layer == layer):
                        used.append(chunk.name)
                        atoms.update(self._assert(chunk, sid, layer, facts))
                        atoms.covered |= chunk.atoms
                    for ident in policies:
                        self._decide(ident, as_of, atoms, facts, decisions)
            finally:
                for name in used:
                    _forget(name, sid)
        return decisions

    def _assert(self, chunk: _Chunk, sid: str, layer: int, facts: dict[str, Any]) -> dict[int, bool | None]:
        compiled = self.compiled
        compiled.fired.clear()
        fact = {**facts, "sid": sid, KIND: "profile", LAYER: float(layer), ZERO: 0.0, ONE: 1.0}
        try:
            _HOST.assert_fact(chunk.name, fact)
        except Exception as e:
            raise OracleError(f"durable-rules failed on layer {layer}, ruleset {chunk.name}: {e}") from e
        fired = {(tag, atom) for tag, atom, at in compiled.fired if at == layer}
        if ("seen", -1) not in fired:
            raise OracleError("durable-rules did not process the fact")
        atoms: dict[int, bool | None] = {}
        for tag, atom in fired - {("seen", -1)}:
            if atom in atoms:
                raise OracleError(f"atom {atom} is both true and unknown")
            atoms[atom] = True if tag == "T" else None
        return atoms

    def _decide(
        self, ident: str, as_of: date, atoms: dict[int, bool | None], facts: dict[str, Any], decisions: dict[str, str]
    ) -> None:
        policy: Policy | None = self.pack.policy_on(ident, as_of)
        if policy is None:
            facts[ident] = False
            return
        met = kleene(self.compiled.trees[id(policy)], atoms)
        decisions[ident] = {True: "eligible", False: "ineligible", None: "undetermined"}[met]
        if met is not None:
            facts[ident] = met


def _forget(ruleset_name: str, sid: str) -> None:
    """Delete a session; one that never received a fact does not exist (durable error code 309)."""
    try:
        _HOST.delete_state(ruleset_name, sid)
    except Exception as e:
        if "error code: 309" not in str(e):
            raise


class _FalseByDefault(dict):  # type: ignore[type-arg]
    """Atom values: neither rule fired means every fact was present and the atom did not hold.

    Only for atoms whose ruleset received the fact (`covered`); any other is an error.
    """

    def __init__(self) -> None:
        super().__init__()
        self.covered: set[int] = set()

    def __missing__(self, key: int) -> bool:
        if key not in self.covered:
            raise OracleError(f"atom {key} was not evaluated: its ruleset did not receive the fact")
        return False
