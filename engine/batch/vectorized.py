"""Column-wise evaluation of a rule pack over a whole chunk of profiles (numpy / pandas).

The same parsed rule AST as engine.evaluate.evaluator, evaluated one column at a time instead of
one profile at a time. Every value is a `Vec`: a value array plus a `known` mask, so the
three-valued logic of the single-profile evaluator carries over exactly:

- `and` / `or` follow `Evaluation._logic`: decided by any known operand equal to the
  deciding value, otherwise unknown if any operand is unknown;
- arithmetic and comparisons are unknown when an operand is unknown; `x / 0` is unknown;
- functions follow engine.language.functions (unknown in, unknown out); has_title reads titles at
  the as-of date with an optional minimum level;
- derived facts, scorecards (interval low/high, group minima, pass_at, direct routes) and
  policy condition trees follow `Evaluation.derive`, `score` and `check`.

Where a column mixes types in a way numpy cannot mirror, the operation falls back to the
evaluator's own scalar semantics row by row, so results never diverge, only slow down.
Lookups, text tests and has_title run the evaluator's own helpers once per distinct value (or title).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from engine.evaluate import provenance as pv
from engine.evaluate.evaluator import RUNTIME_ERRORS, dependencies_of, log, prepared
from engine.language import expr as ex
from engine.language.functions import SCALAR, has_title
from engine.language.loader import RulePack, expressions_of, walk_conditions
from engine.language.rules import BracketTable, Condition, Derived, Indicator, Policy, Scorecard
from engine.language.semantics import (
    ARITH,
    BOUND,
    COMPARE,
    MET,
    RULE_FAILURES,
    UNKNOWN,
    UNMET,
    RuleRuntimeError,
    bracket_range,
    bracket_result,
    lookup_result,
    negate,
)
from engine.language.visitor import Visitor
from engine.model.profile import FIELDS, LEVEL_RANK, EnterpriseProfile, Level, field_kind

Masks = dict  # provenance key -> row mask: the rows whose result rested on that assumption


def merge(into: Masks, more: Masks, where: np.ndarray | None = None) -> Masks:
    """OR `more` (restricted to `where`) into `into`; masks with no row are dropped."""
    for key, mask in more.items():
        mask = mask if where is None else mask & where
        if not mask.any():
            continue
        into[key] = into[key] | mask if key in into else mask
    return into


NUMERIC = {"int", "num", "bool"}
_EPOCH = date(1970, 1, 1)
_NUMPY_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}


@dataclass
class Vec:
    """A column of values with a mask of the rows where the value is known.

    kind: int / num (float64 values; int keeps Python's int-ness for str()), bool, str
    (object), date (int64 days since 1970-01-01), titles (object: tuple of Title), obj (any
    Python values). Values at unknown rows are fillers and never read.
    """

    kind: str
    value: np.ndarray
    known: np.ndarray
    scalar: Any = field(default=None, compare=False)  # the value, for a constant known everywhere
    cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def factorized(self) -> tuple[np.ndarray, np.ndarray]:
        """(codes, distinct Python values) of the known rows; code -1 where unknown. Cached."""
        if "factors" not in self.cache:
            codes = np.full(len(self.known), -1, dtype=np.int64)
            rows = np.flatnonzero(self.known)
            values = to_python(Vec(self.kind, np.asarray(self.value)[rows], np.ones(len(rows), dtype=bool)))
            codes[rows], uniques = pd.factorize(values, use_na_sentinel=False)
            self.cache["factors"] = (codes, uniques)
        return self.cache["factors"]


# --- building vectors --------------------------------------------------------


def days(day: date) -> int:
    return (day - _EPOCH).days


def kind_of_values(values: Iterable[Any]) -> str:
    """The Vec kind holding these Python values exactly (None values ignored)."""
    types = {type(v) for v in values if v is not None}
    if not types:
        return "num"
    if types == {bool}:
        return "bool"
    if types == {int}:
        return "int"
    if types <= {int, float}:
        return "num"
    if types == {str}:
        return "str"
    if types == {date}:
        return "date"
    return "obj"


def _filler(kind: str) -> Any:
    return {"int": 0.0, "num": 0.0, "bool": False, "date": 0}.get(kind)


def _typed(kind: str, values: list[Any]) -> np.ndarray:
    """An array of the given kind from Python values (None -> filler)."""
    fill = _filler(kind)
    if kind == "date":
        return np.array([fill if v is None else days(v) for v in values], dtype=np.int64)
    if kind in ("int", "num"):
        return np.array([fill if v is None else float(v) for v in values], dtype=np.float64)
    if kind == "bool":
        return np.array([bool(v) if v is not None else False for v in values], dtype=bool)
    return object_array(values)


def object_array(values: Iterable[Any]) -> np.ndarray:
    """A 1-d object array, element by element, so tuples stay elements (np.array would make them rows)."""
    return np.fromiter(values, dtype=object)


def constant(value: Any, n: int) -> Vec:
    """A literal or parameter broadcast over n rows (None is unknown everywhere)."""
    kind = kind_of_values([value])
    arr = _typed(kind, [value])
    return Vec(kind, np.broadcast_to(arr, (n,)), np.broadcast_to(np.array(value is not None), (n,)), scalar=value)


def from_codes(n: int, rows: np.ndarray | None, codes: np.ndarray, results: list[Any]) -> Vec:
    """Rows `rows` take results[codes]; None results and all other rows are unknown. rows=None: every row
    has its code (one gather, no scatter)."""
    kind = kind_of_values(results)
    table = _typed(kind, results)
    table_known = np.array([r is not None for r in results], dtype=bool)
    if rows is None:
        return Vec(kind, table[codes], table_known[codes])
    value = np.empty(n, dtype=table.dtype)
    if table.dtype != object:
        value[:] = _filler(kind)
    known = np.zeros(n, dtype=bool)
    if len(results):
        value[rows] = table[codes]
        known[rows] = table_known[codes]
    return Vec(kind, value, known)


def from_objects(values: np.ndarray, known: np.ndarray) -> Vec:
    """A Vec from an object array of Python values (unknown where `known` is false or None)."""
    known = known & np.array([v is not None for v in values], dtype=bool)
    kind = kind_of_values(values[known])
    if kind == "obj" or kind == "str":
        return Vec(kind, values, known)
    return Vec(kind, _typed(kind, [v if k else None for v, k in zip(values, known)]), known)


def to_python(vec: Vec) -> np.ndarray:
    """An object array of the Python values the single-profile evaluator would see (None = unknown)."""
    known = np.asarray(vec.known, dtype=bool)
    if vec.kind == "int":
        with np.errstate(invalid="ignore"):  # NaN or inf in an unknown row's filler or a row in error: never read
            out = vec.value.astype(np.int64).astype(object)
    elif vec.kind in ("num", "bool"):
        out = vec.value.astype(object)
    elif vec.kind == "date":
        out = vec.value.astype("datetime64[D]").astype(object)
    else:
        out = np.array(vec.value, dtype=object, copy=True)
    out[~known] = None
    return out


def map_distinct(vec: Vec, fn: Callable[[Any], Any], n: int) -> Vec:
    """Apply a scalar function once per distinct known value (lookups, titles, text tests)."""
    codes, uniques = vec.factorized()
    rows = np.flatnonzero(codes >= 0)
    return from_codes(n, rows, codes[rows], [None if u is None else fn(u) for u in uniques])


def elementwise(fn: Callable[..., Any], args: list[Vec], known: np.ndarray, n: int) -> Vec:
    """Row-by-row fallback with the evaluator's scalar semantics, on the rows in `known`."""
    rows = np.flatnonzero(known)
    columns = [to_python(a)[rows] for a in args]
    out = np.empty(n, dtype=object)
    try:
        out[rows] = object_array(fn(*vals) for vals in zip(*columns))
    except TypeError as e:
        raise RuleRuntimeError(f"cannot compute: {e}") from None
    mask = np.zeros(n, dtype=bool)
    mask[rows] = True
    return from_objects(out, mask)


def numeric(vec: Vec) -> np.ndarray:
    return np.asarray(vec.value, dtype=np.float64)


def truthy(vec: Vec) -> np.ndarray:
    """bool(value) at known rows (arbitrary elsewhere)."""
    if vec.kind == "bool":
        return np.asarray(vec.value, dtype=bool)
    if vec.kind in ("int", "num"):
        return vec.value != 0
    if vec.kind == "date":
        return np.ones(len(vec.known), dtype=bool)
    return np.array([bool(v) for v in vec.value], dtype=bool)


# --- columns from profiles -----------------------------------------------------


def kind_of_field(name: str) -> str:
    return {
        "number": "num",
        "integer": "int",
        "bool": "bool",
        "date": "date",
        "text": "str",
        "level": "str",
        "titles": "titles",
    }[field_kind(name)]


def unknown_field(name: str, n: int) -> Vec:
    """A field nobody gave: unknown on every row."""
    kind = kind_of_field(name)
    return Vec(kind, np.broadcast_to(_typed(kind, [None]), (n,)), np.broadcast_to(np.array(False), (n,)))


def field_vec(name: str, values: list[Any]) -> Vec:
    """A field column from parsed profile values (enums as their value; None = unknown)."""
    kind = kind_of_field(name)
    plain = [getattr(v, "value", v) for v in values]
    known = np.array([v is not None for v in plain], dtype=bool)
    if kind == "titles":
        return Vec(kind, object_array(None if v is None else tuple(v) for v in plain), known)
    return Vec(kind, _typed(kind, plain), known)


def columns_from_profiles(profiles: list[EnterpriseProfile]) -> dict[str, Vec]:
    return {name: field_vec(name, [getattr(p, name) for p in profiles]) for name in FIELDS}


# --- results -----------------------------------------------------------------


@dataclass
class PolicyColumns:
    """One policy over a chunk: node states (MET/UNKNOWN/UNMET) by condition id, in tree order."""

    policy: Policy
    root: str
    nodes: dict[str, np.ndarray]
    conditions: dict[str, Condition]
    leaves: list[str]
    amount: Vec | None = None  # total benefit amount (万元) where eligible and known
    up_to: Vec | None = None  # total of the "up to N" benefits (万元) where eligible and known
    error: np.ndarray | None = None  # rows where a rule could not be computed (status `error`)
    _deciding: dict[str, np.ndarray] | None = field(default=None, repr=False)

    @property
    def state(self) -> np.ndarray:
        return self.nodes[self.root]

    def status(self) -> np.ndarray:
        """'eligible' / 'ineligible' / 'undetermined' / 'error' per row."""
        words = np.array(["eligible", "undetermined", "ineligible"], dtype=object)[self.state]
        return words if self.error is None else np.where(self.error, "error", words)

    def leaf_ids(self, row: int, state: int) -> set[str]:
        return {leaf for leaf in self.leaves if self.nodes[leaf][row] == state}

    def deciding(self) -> dict[str, np.ndarray]:
        """Leaves that decide each row (as engine.evaluate.evaluator.reasons picks them): leaf -> row mask. Cached."""
        if self._deciding is None:
            self._deciding = self._find_deciding()
        return self._deciding

    def _find_deciding(self) -> dict[str, np.ndarray]:
        """Depth first, children in order, with a stack: a recursive closure would be a reference cycle holding
        these columns until the cyclic collector runs (17 policies' arrays per chunk)."""
        out: dict[str, np.ndarray] = {}
        root_state = self.state
        stack = [(self.root, self.policy.conditions, np.ones(len(root_state), dtype=bool))]
        while stack:
            ident, cond, active = stack.pop()
            if cond.when is not None:
                out[ident] = active & (self.nodes[ident] == root_state)
                continue
            children = []
            for pos, child in enumerate(cond.children()):
                kid = child.id or f"{ident}.{pos + 1}"
                keep = (
                    active
                    if cond.all is not None or cond.not_ is not None
                    else active & (self.nodes[kid] == self.nodes[ident])
                )
                children.append((kid, child, keep))
            stack.extend(reversed(children))
        return out


@dataclass
class ScorecardColumns:
    card: Scorecard
    total: Vec
    low: np.ndarray
    high: np.ndarray
    passed: Vec


@dataclass
class BatchResult:
    n: int
    facts: dict[str, Vec]
    scorecards: dict[str, ScorecardColumns] = field(default_factory=dict)
    policies: dict[str, PolicyColumns] = field(default_factory=dict)
    provenance: dict[str, Masks] = field(default_factory=dict)  # fact id -> assumptions it rested on, by row

    def assumptions(self, ident: str, row: int) -> set[pv.Key]:
        """The keys fact `ident` (a policy, scorecard total or `<card>_passed`) rested on in one row."""
        return {key for key, mask in self.provenance.get(ident, {}).items() if mask[row]}

    errors: dict[str, np.ndarray] = field(default_factory=dict)  # rule id -> rows it could not be computed for
    failures: dict[str, str] = field(default_factory=dict)  # rule id -> why it failed (not inherited)


# --- the evaluator -----------------------------------------------------------


class BatchEvaluation(Visitor[Vec]):
    """One pack at one date over one chunk of columns; facts computed once, in pack order."""

    quiet = False  # as Evaluation.quiet

    def __init__(self, pack: RulePack, as_of: date, columns: dict[str, Vec], n: int) -> None:
        self.pack, self.as_of, self.n = pack, as_of, n
        self.values: dict[str, Vec] = {"as_of": constant(as_of, n)}
        for name in FIELDS:
            self.values[name] = columns.get(name) or unknown_field(name, n)
        for ident, param in pack.parameters.items():
            version = param.version_on(as_of)
            self.values[ident] = constant(None if version is None else version.value, n)
        self.result = BatchResult(n=n, facts={})
        self.prov = self.result.provenance
        self.everywhere = np.ones(n, dtype=bool)
        self._names: dict[int, tuple[ex.Node, frozenset[str]]] = {}
        self.flagged = np.zeros(n, dtype=bool)  # rows where the rule being computed failed
        self.title_registry = title_registry()  # shared with the process's other evaluations

    def run(self, targets: Collection[str] | None = None) -> BatchResult:
        """Every derived fact, scorecard and policy; with `targets`, only those and what they read."""
        for ident in self.pack.order if targets is None else prepared(self.pack).cone(targets):
            self.flagged = np.zeros(self.n, dtype=bool)
            try:
                self.compute(ident)
            except RULE_FAILURES as e:  # as Evaluation.run: programming errors propagate
                self.flagged[:] = True
                self.report(ident, e)
                self.compute_unknown(ident)
            self.settle(ident)
        return self.result

    def compute(self, ident: str) -> None:
        if ident in self.pack.derived:
            self.values[ident] = self.derive(self.pack.derived[ident])
            self.result.facts[ident] = self.values[ident]
        elif ident in self.pack.scorecards:
            self.score(self.pack.scorecards[ident])
        else:
            self.decide(ident)

    def compute_unknown(self, ident: str) -> None:
        """After a failure: the rule's value is unknown everywhere (its rows are errors)."""
        unknown = unknown_field("revenue", self.n)
        for name in (ident, ident + "_passed"):
            self.values[name] = unknown
        if ident in self.pack.derived:
            self.result.facts[ident] = unknown
        self.result.scorecards.pop(ident, None)
        policy = self.pack.policy_on(ident, self.as_of) if ident in self.pack.policies else None
        if policy is not None:
            root = policy.conditions.id or "conditions"
            conditions = dict(walk_conditions(policy.conditions, root))
            nodes = {k: np.full(self.n, UNKNOWN, dtype=np.int8) for k in conditions}
            leaves = [k for k, c in conditions.items() if c.when is not None]
            self.result.policies[ident] = PolicyColumns(policy, root, nodes, conditions, leaves)

    def report(self, ident: str, error: Exception) -> None:
        file, line = self.pack.origin.get(ident, ("?", None))
        self.result.failures.setdefault(ident, str(error))
        if self.quiet:
            return
        RUNTIME_ERRORS[f"{file}:{line or 1}"] += 1
        log.warning("rule %s at %s:%s failed for a batch: %s", ident, file, line or 1, error)

    def settle(self, ident: str) -> None:
        """Rows where the rule, or a rule it reads, failed: unknown value, `error` status."""
        error = self.flagged.copy()
        for dep in dependencies_of(self.pack, ident):
            if dep in self.result.errors:
                error |= self.result.errors[dep]
        if not error.any():
            return
        self.result.errors[ident] = error
        for name in (ident, ident + "_passed"):
            if name in self.values:
                v = self.values[name]
                self.values[name] = Vec(v.kind, v.value, np.asarray(v.known, dtype=bool) & ~error)
        if ident in self.result.facts:
            self.result.facts[ident] = self.values[ident]
        card = self.result.scorecards.get(ident)
        if card is not None:
            card.total, card.passed = self.values[ident], self.values[ident + "_passed"]
        if ident in self.result.policies:
            self.result.policies[ident].error = error
        if self.flagged.any() and not self.flagged.all():
            self.report(ident, RuleRuntimeError(f"{int(self.flagged.sum())} row(s) beyond the range of numbers"))

    def flag(self, vec: Vec) -> Vec:
        """Rows where an arithmetic result is not finite (overflow) fail the current rule, as `finite` does."""
        if vec.kind not in ("int", "num"):
            return vec
        bad = np.asarray(vec.known, dtype=bool) & ~np.isfinite(numeric(vec))
        if not bad.any():
            return vec
        self.flagged |= bad
        return Vec(vec.kind, vec.value, np.asarray(vec.known, dtype=bool) & ~bad)

    # --- expressions ------------------------------------------------------
    def on_literal(self, node: ex.Num | ex.Str | ex.DateLit | ex.Bool) -> Vec:
        return constant(node.value, self.n)

    on_num = on_str = on_datelit = on_bool = on_literal

    def on_name(self, node: ex.Name) -> Vec:
        return self.values.get(node.name) or constant(None, self.n)

    def on_and(self, node: ex.And) -> Vec:
        return self.logic(node.operands, want=False)

    def on_or(self, node: ex.Or) -> Vec:
        return self.logic(node.operands, want=True)

    def on_not(self, node: ex.Not) -> Vec:
        v = self.eval(node.operand)
        return Vec("bool", ~truthy(v), v.known)

    def on_neg(self, node: ex.Neg) -> Vec:
        return self.negate(self.eval(node.operand))

    def on_compare(self, node: ex.Compare) -> Vec:
        return self.compare(node.op, self.eval(node.left), self.eval(node.right))

    def on_binop(self, node: ex.BinOp) -> Vec:
        return self.flag(self.arith(node.op, self.eval(node.left), self.eval(node.right)))

    def on_call(self, node: ex.Call) -> Vec:
        return self.call(node)

    eval = Visitor.visit  # an expression as one column (Vec) over all rows

    def logic(self, operands: tuple[ex.Node, ...], want: bool) -> Vec:
        decided = np.zeros(self.n, dtype=bool)
        unknown = np.zeros(self.n, dtype=bool)
        for operand in operands:
            v = self.eval(operand)
            decided |= v.known & (truthy(v) == want)
            unknown |= ~v.known
        value = np.where(decided, want, not want)
        return Vec("bool", value, decided | ~unknown)

    def negate(self, v: Vec) -> Vec:
        if v.kind in NUMERIC:
            return Vec("num" if v.kind == "num" else "int", -numeric(v), v.known)
        return elementwise(negate, [v], v.known, self.n)

    def compare(self, op: str, a: Vec, b: Vec) -> Vec:
        known = a.known & b.known
        if a.kind in NUMERIC and b.kind in NUMERIC:
            return Vec("bool", _NUMPY_COMPARE[op](numeric(a), numeric(b)), known)
        if a.kind == b.kind == "date":
            return Vec("bool", _NUMPY_COMPARE[op](a.value, b.value), known)
        if a.kind == b.kind == "str" and op in ("==", "!="):
            for text, const in ((a, b), (b, a)):
                if const.scalar is not None:
                    same = map_distinct(text, lambda v: (v == const.scalar) == (op == "=="), self.n)  # noqa: B023
                    return Vec("bool", np.asarray(same.value, dtype=bool), known)
            return Vec("bool", np.asarray(_NUMPY_COMPARE[op](a.value, b.value), dtype=bool), known)
        return elementwise(COMPARE[op], [a, b], known, self.n)

    def arith(self, op: str, a: Vec, b: Vec) -> Vec:
        known = a.known & b.known
        if a.kind in NUMERIC and b.kind in NUMERIC:
            x, y = numeric(a), numeric(b)
            if op == "/":
                nonzero = y != 0
                with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # overflow: see `flag`
                    return Vec("num", np.where(nonzero, x / np.where(nonzero, y, 1.0), 0.0), known & nonzero)
            kind = "num" if "num" in (a.kind, b.kind) else "int"
            with np.errstate(over="ignore", invalid="ignore"):  # flagged by `flag`
                return Vec(kind, {"+": np.add, "-": np.subtract, "*": np.multiply}[op](x, y), known)
        return elementwise(ARITH[op], [a, b], known, self.n)

    def call(self, node: ex.Call) -> Vec:
        args = [self.eval(a) for a in node.args]
        if node.func == "has_title":
            return self.titles_test(node, args)
        if node.func in ("starts_with", "one_of"):
            return self.text_test(node.func, args)
        known = np.logical_and.reduce([a.known for a in args])
        if node.func in ("min", "max") and all(a.kind in NUMERIC for a in args):
            pick = np.minimum if node.func == "min" else np.maximum
            kind = "int" if all(a.kind in ("int", "bool") for a in args) else "num"
            return Vec(kind, pick.reduce([numeric(a) for a in args]), known)
        if node.func == "abs" and args[0].kind in NUMERIC:
            return Vec("num" if args[0].kind == "num" else "int", np.abs(numeric(args[0])), known)
        if node.func == "years_between" and args[0].kind == args[1].kind == "date":
            return Vec("int", whole_years(args[0].value, args[1].value), known)
        return elementwise(SCALAR[node.func], args, known, self.n)

    def text_test(self, func: str, args: list[Vec]) -> Vec:
        """starts_with / one_of: unknown only when the first argument is unknown."""
        subject, options = args[0], args[1:]
        if all(o.scalar is not None for o in options):
            fn = SCALAR[func]
            values = [o.scalar for o in options]
            return map_distinct(subject, lambda v: fn(v, *values), self.n)
        if (
            func == "one_of"
            and all(o.kind == subject.kind or {o.kind, subject.kind} <= NUMERIC for o in options)
            and subject.kind in NUMERIC | {"str", "date"}
        ):
            hit = np.zeros(self.n, dtype=bool)
            for o in options:
                same = self.compare("==", subject, o)
                hit |= same.known & np.asarray(same.value, dtype=bool)
            return Vec("bool", hit, subject.known)
        fn = SCALAR[func]
        return elementwise(lambda *vals: fn(*vals), args, subject.known, self.n)

    def titles_test(self, node: ex.Call, args: list[Vec]) -> Vec:
        """has_title at the as-of date.

        With literal arguments, functions.has_title's tests (code, level, in force) are array comparisons over
        the distinct titles held by anyone (ever); a row holds the title when any of its titles does (has_title's
        own `any`).
        """
        titles = self.values["titles"]
        check = lambda held, *rest: has_title(SimpleNamespace(titles=list(held)), self.as_of, *rest)  # noqa: E731
        if not all(isinstance(a, ex.Str) for a in node.args):
            return elementwise(check, [titles, *args], titles.known, self.n)
        rest = tuple(a.value for a in node.args)  # type: ignore[union-attr]
        codes, owner, title_id = held_titles(titles, self.title_registry)
        set_hit = np.zeros(len(codes[1]), dtype=bool)
        np.logical_or.at(set_hit, owner, self.title_registry.holds(self.as_of, rest)[title_id])
        rows = codes[0] >= 0
        value = np.zeros(self.n, dtype=bool)
        value[rows] = set_hit[codes[0][rows]]
        return Vec("bool", value, np.asarray(titles.known, dtype=bool) & rows)

    def truth(self, node: ex.Node) -> tuple[np.ndarray, np.ndarray]:
        """(truthy, known) of a condition."""
        v = self.eval(node)
        return truthy(v) & v.known, np.asarray(v.known, dtype=bool).copy()

    # --- provenance (engine/evaluate/provenance.py) -------------------------
    def reads(self, node: ex.Node) -> Masks:
        entry = self._names.get(id(node))
        if entry is None:
            entry = self._names[id(node)] = (node, frozenset(ex.names(node)))
        out: Masks = {}
        for name in entry[1]:
            if name in self.pack.parameters:
                version = self.pack.parameters[name].version_on(self.as_of)
                if version is not None and pv.unconfirmed(version.status):
                    out[("parameter", name)] = self.everywhere
            else:
                merge(out, self.prov.get(name, {}))
        return out

    def reads_all(self, item: Any) -> Masks:
        out: Masks = {}
        for e in expressions_of(item):
            merge(out, self.reads(e.ast))
        return out

    def bracket_masks(self, owner: str, table: BracketTable) -> Masks:
        """Rows falling in an assumed bracket row, or sitting on an assumed edge."""
        if all(not pv.unconfirmed(r.status) and not pv.unconfirmed(r.edge) for r in table.rows):
            return {}
        of = self.eval(table.of.ast)
        known = np.asarray(of.known, dtype=bool)
        if of.kind not in NUMERIC:
            values = to_python(of)
            keys = [pv.bracket_keys(owner, table, v) for v in values]
            return {k: np.array([k in ks for ks in keys]) for k in set().union(*keys)}
        x = numeric(of)
        out: Masks = {}
        pending = known.copy()
        for pos, row in enumerate(table.rows):
            hit = pending.copy()
            for op, bound in row.bounds():
                hit &= _NUMPY_COMPARE[BOUND[op]](x, bound)
            pending &= ~hit
            if pv.unconfirmed(row.status):
                merge(out, {("row", owner, str(pos)): hit})
            if pv.unconfirmed(row.edge):
                merge(
                    out,
                    {
                        ("edge", owner, str(pos)): known
                        & np.logical_or.reduce(
                            [x == bound for _, bound in row.bounds()] or [np.zeros(self.n, dtype=bool)]
                        )
                    },
                )
        return out

    def case_masks(self, owner: str, cases: list[Any]) -> Masks:
        """Rows an assumed case decided (provenance.first_case per row)."""
        if all(not pv.unconfirmed(c.status) for c in cases):
            return {}
        out: Masks = {}
        pending = np.ones(self.n, dtype=bool)
        for pos, case in enumerate(cases):
            hit, known = self.truth(case.when.ast)
            if pv.unconfirmed(case.status):
                merge(out, {("case", owner, str(pos)): pending & hit})
            pending &= known & ~hit
        return out

    # --- derived facts ----------------------------------------------------
    def derive(self, rule: Derived) -> Vec:
        keys: Masks = {("derived", rule.id): self.everywhere} if pv.unconfirmed(rule.status) else {}
        merge(keys, self.reads_all(rule))
        if rule.brackets is not None:
            merge(keys, self.bracket_masks(rule.id, rule.brackets))
        if rule.lookup is not None and any(pv.unconfirmed(r.status) for r in rule.lookup.table):
            pos = map_distinct(self.eval(rule.lookup.key.ast), lambda key: pv.lookup_row(rule, key), self.n)
            for n, row in enumerate(rule.lookup.table):
                if pv.unconfirmed(row.status):
                    merge(keys, {("lookup", rule.id, str(n)): pos.known & (to_python(pos) == n)})
        merge(keys, self.case_masks(rule.id, rule.cases or []))
        self.prov[rule.id] = keys
        if rule.formula is not None:
            return self.eval(rule.formula.ast)
        if rule.brackets is not None:
            return self.brackets(rule.brackets)
        if rule.lookup is not None:
            return map_distinct(self.eval(rule.lookup.key.ast), lambda key: lookup_result(rule, key), self.n)
        return self.first_case([(c.when, c.value) for c in rule.cases or []], otherwise=None)

    def first_case(self, cases: list[tuple[Any, Any]], otherwise: Any) -> Vec:
        """The value of the first case that holds; unknown at the first unknown case."""
        codes = np.full(self.n, -1, dtype=np.int64)
        pending = np.ones(self.n, dtype=bool)
        for pos, (when, _) in enumerate(cases):
            hit, known = self.truth(when.ast)
            codes[pending & ~known] = len(cases)  # unknown stops the search
            codes[pending & hit] = pos
            pending &= known & ~hit
        codes[pending] = len(cases) + 1
        results = [value for _, value in cases] + [None, otherwise]
        return from_codes(self.n, None, codes, results)

    def brackets(self, table: BracketTable, top: bool = False) -> Vec:
        """The row each value falls in gives its result (`top`: the top of an expert-judged range)."""
        of = self.eval(table.of.ast)
        if of.kind not in NUMERIC:
            pick = bracket_range if top else (lambda t, v: (bracket_result(t, v),))
            return elementwise(lambda v: pick(table, v)[-1], [of], of.known, self.n)
        x = numeric(of)
        codes = np.full(self.n, len(table.rows), dtype=np.int64)
        pending = np.asarray(of.known, dtype=bool).copy()
        for pos, row in enumerate(table.rows):
            hit = pending.copy()
            for op, bound in row.bounds():
                hit &= _NUMPY_COMPARE[BOUND[op]](x, bound)
            codes[hit] = pos
            pending &= ~hit
        codes[~np.asarray(of.known, dtype=bool)] = len(table.rows) + 1  # the value is unknown: so is the result
        results = [row.top() if top else row.result() for row in table.rows] + [table.otherwise, None]
        return from_codes(self.n, None, codes, results)

    # --- scorecards -------------------------------------------------------
    def score(self, card: Scorecard) -> None:
        self._stakes: list[tuple[int, Masks, np.ndarray]] = []
        self._card = card.id
        groups = []
        for n, g in enumerate(card.groups):
            self._group = n
            groups.append(self.score_group(g))
        low = _sequential_sum([g[1] for g in groups])
        high = _sequential_sum([g[2] for g in groups])
        total_known = np.logical_and.reduce([g[0].known for g in groups])
        by_score = Vec("bool", np.ones(self.n, dtype=bool), np.ones(self.n, dtype=bool))
        if card.pass_at is not None:
            by_score = _passes(low, high, card.pass_at)
        for group, (_, g_low, g_high) in zip(card.groups, groups):
            if group.min is None:
                continue
            group_ok = _passes(g_low, g_high, group.min)
            open_ = ~(by_score.known & ~by_score.value)  # by_score is not False
            fails = open_ & group_ok.known & ~group_ok.value
            unsure = open_ & ~group_ok.known
            by_score = Vec("bool", by_score.value & ~fails, (by_score.known | fails) & ~unsure)
        states = [by_score]
        for route in card.direct_routes:
            hit, known = self.truth(route.when.ast)
            states.append(Vec("bool", hit, known))
        any_true = np.logical_or.reduce([s.known & s.value for s in states])
        any_unknown = np.logical_or.reduce([~s.known for s in states])
        passed = Vec("bool", any_true, any_true | ~any_unknown)
        self.card_provenance(card, groups, states, low, high, passed)
        total = Vec("num", low, total_known)
        self.values[card.id] = total
        self.values[card.id + "_passed"] = passed
        self.result.scorecards[card.id] = ScorecardColumns(card, total, low, high, passed)

    def card_provenance(
        self,
        card: Scorecard,
        groups: list[tuple[Vec, np.ndarray, np.ndarray]],
        states: list[Vec],
        low: np.ndarray,
        high: np.ndarray,
        passed: Vec,
    ) -> None:
        """Evaluation.card_provenance over rows."""
        own: Masks = {("scorecard", card.id): self.everywhere} if pv.unconfirmed(card.status_on(self.as_of)) else {}
        total: Masks = dict(own)
        for _, keys, _ in self._stakes:
            merge(total, keys)
        stake = _sequential_sum([st for _, _, st in self._stakes]) if self._stakes else np.zeros(self.n)
        by_score = states[0]
        certain = np.zeros(self.n, dtype=bool)
        won, lost = by_score.known & by_score.value, by_score.known & ~by_score.value
        ok_pass = np.ones(self.n, dtype=bool) if card.pass_at is None else low - stake >= card.pass_at
        sure_fail = np.zeros(self.n, dtype=bool) if card.pass_at is None else high + stake < card.pass_at
        for n, (group, (_, g_low, g_high)) in enumerate(zip(card.groups, groups)):
            if group.min is None:
                continue
            parts = [st for g, _, st in self._stakes if g == n]
            g_stake = _sequential_sum(parts) if parts else np.zeros(self.n)
            ok_pass = ok_pass & (g_low - g_stake >= group.min)
            sure_fail = sure_fail | (g_high + g_stake < group.min)
        certain = (won & ok_pass) | (lost & sure_fail)
        score_path: Masks = dict(own)
        merge(score_path, total, ~certain)
        routes: list[Masks] = []
        for route in card.direct_routes:
            keys: Masks = {("route", card.id, route.id): self.everywhere} if pv.unconfirmed(route.status) else {}
            routes.append(merge(keys, self.reads(route.when.ast)))
        # a pass rests on its most solid path (fewest assumptions; the score first on ties), anything else on all
        count = lambda keys: (  # noqa: E731
            _sequential_sum([m.astype(np.int64) for m in keys.values()]) if keys else np.zeros(self.n, dtype=np.int64)
        )
        options = [np.where(won, count(score_path), np.iinfo(np.int64).max)]
        options += [
            np.where(st.known & st.value, count(keys), np.iinfo(np.int64).max) for st, keys in zip(states[1:], routes)
        ]
        best = np.argmin(np.vstack(options), axis=0)
        passing = passed.known & passed.value
        verdict: Masks = dict(own)
        for n, keys in enumerate([score_path, *routes]):
            merge(verdict, keys, np.where(passing, best == n, True))
        self.prov[card.id] = total
        self.prov[card.id + "_passed"] = verdict

    def score_group(self, group: Any) -> tuple[Vec, np.ndarray, np.ndarray]:
        scored = [self.score_indicator(i) for i in group.indicators]
        low = np.minimum(_sequential_sum([np.where(p.known, p.value, 0.0) for p, _ in scored]), group.max)
        high = np.minimum(
            _sequential_sum([np.where(p.known, top, i.max) for (p, top), i in zip(scored, group.indicators)]), group.max
        )
        known = np.logical_and.reduce([p.known & (p.value == top) for p, top in scored])
        return Vec("num", low, known), low, high

    def score_indicator(self, ind: Indicator) -> tuple[Vec, np.ndarray]:
        """Points (the bottom of an expert-judged range) and the top of the range."""
        raw, top = self.indicator_points(ind)
        keys: Masks = {("indicator", self._card, ind.id): self.everywhere} if pv.unconfirmed(ind.status) else {}
        merge(keys, self.reads_all(ind))
        tables = ind.best_of or ([ind.brackets] if ind.brackets is not None else [])
        for n, table in enumerate(tables):
            merge(keys, self.bracket_masks(f"{self._card}.{ind.id}" + (f".{n}" if ind.best_of else ""), table))
        merge(keys, self.case_masks(f"{self._card}.{ind.id}", ind.cases or []))
        self._stakes.append((self._group, keys, self.stake(ind, keys)))
        if raw.kind not in NUMERIC or top.kind not in NUMERIC:
            raise RuleRuntimeError(f"indicator {ind.id} gives non-numeric points")
        clip = lambda v: np.maximum(0.0, np.minimum(numeric(v), ind.max))  # noqa: E731
        return Vec("num", clip(raw), np.asarray(raw.known, dtype=bool)), clip(top)

    def stake(self, ind: Indicator, keys: Masks) -> np.ndarray:
        """provenance.indicator_stake per row."""
        other = np.zeros(self.n, dtype=bool)
        step = np.zeros(self.n)
        for key, mask in keys.items():
            if key[0] not in ("edge", "case"):
                other |= mask
            else:
                step = np.maximum(step, np.where(mask, pv.key_stake(ind, key), 0.0))
        return np.where(other, float(ind.max), step)

    def indicator_points(self, ind: Indicator) -> tuple[Vec, Vec]:
        if ind.brackets is not None:
            ranged = any(r.points_to is not None for r in ind.brackets.rows)
            low = self.brackets(ind.brackets)
            return low, self.brackets(ind.brackets, top=True) if ranged else low
        if ind.best_of is not None:
            return self.best_of(ind)
        if ind.formula is not None:
            value = self.eval(ind.formula.ast)
            return value, value
        if ind.cases is not None:
            low = self.first_case([(c.when, c.points) for c in ind.cases], otherwise=ind.otherwise or 0)
            if all(c.points_to is None for c in ind.cases):
                return low, low
            return low, self.first_case([(c.when, c.top()) for c in ind.cases], otherwise=ind.otherwise or 0)
        earned, top = np.zeros(self.n), np.zeros(self.n)
        unknown = np.zeros(self.n, dtype=bool)
        for item in ind.items or []:
            hit, known = self.truth(item.when.ast)
            earned = earned + np.where(hit, item.points, 0.0)
            top = top + np.where(hit, item.top(), 0.0)
            unknown |= ~known
        known = ~(unknown & (earned < ind.max))
        return Vec("num", earned, known), Vec("num", top, known)

    def best_of(self, ind: Indicator) -> tuple[Vec, Vec]:
        tables = ind.best_of or []
        found = [self.brackets(t) for t in tables]
        tops = [self.brackets(t, top=True) for t in tables]
        if any(f.kind not in NUMERIC for f in found + tops):
            raise RuleRuntimeError(f"indicator {ind.id} gives non-numeric points")
        any_known = np.logical_or.reduce([f.known for f in found])
        best = np.max([np.where(f.known, numeric(f), -np.inf) for f in found], axis=0)
        best = np.where(any_known, best, 0.0)
        best_top = np.where(any_known, np.max([np.where(f.known, numeric(f), -np.inf) for f in tops], axis=0), 0.0)
        all_known = np.logical_and.reduce([f.known for f in found])
        known = all_known | (best >= ind.max)
        return Vec("num", best, known), Vec("num", best_top, known)

    # --- policies ---------------------------------------------------------
    def decide(self, ident: str) -> None:
        policy = self.pack.policy_on(ident, self.as_of)
        if policy is None:
            self.values[ident] = constant(False, self.n)
            return
        root = policy.conditions.id or "conditions"
        conditions = dict(walk_conditions(policy.conditions, root))
        nodes: dict[str, np.ndarray] = {}
        self.check(policy.conditions, root, nodes)
        leaves = [k for k, c in conditions.items() if c.when is not None]
        state = nodes[root]
        self.values[ident] = Vec("bool", state == MET, state != UNKNOWN)
        columns = PolicyColumns(policy, root, nodes, conditions, leaves)
        columns.amount = self.benefit_amount(policy, state == MET)
        columns.up_to = self.benefit_up_to(policy, state == MET)
        self.result.policies[ident] = columns
        keys: Masks = {("policy", ident): self.everywhere} if pv.unconfirmed(policy.status) else {}
        self.prov[ident] = self.relied(ident, policy.conditions, root, self.everywhere, nodes, keys)
        eligible = state == MET
        benefits: Masks = {}
        for n, benefit in enumerate(policy.benefits):
            if pv.unconfirmed(benefit.status):
                merge(benefits, {("benefit", ident, str(n)): eligible})
            for expr in (benefit.amount, benefit.up_to):
                if expr is not None:
                    merge(benefits, self.reads(expr.ast), eligible)
        self.prov[ident + ".benefits"] = benefits

    def relied(
        self, ident: str, cond: Condition, node: str, active: np.ndarray, nodes: dict[str, np.ndarray], out: Masks
    ) -> Masks:
        """Evaluation.relied over rows: assumptions on the deciding path."""
        if pv.unconfirmed(cond.status):
            merge(out, {("condition", ident, node): active})
        if cond.when is not None:
            return merge(out, self.reads(cond.when.ast), active)
        for pos, child in enumerate(cond.children()):
            kid = child.id or f"{node}.{pos + 1}"
            keep = active if cond.not_ is not None else active & (nodes[kid] == nodes[node])
            self.relied(ident, child, kid, keep, nodes, out)
        return out

    def check(self, cond: Condition, ident: str, nodes: dict[str, np.ndarray]) -> np.ndarray:
        if cond.when is not None:
            hit, known = self.truth(cond.when.ast)
            state = np.where(known, np.where(hit, MET, UNMET), UNKNOWN).astype(np.int8)
        else:
            kids = [self.check(c, c.id or f"{ident}.{n + 1}", nodes) for n, c in enumerate(cond.children())]
            if cond.not_ is not None:
                state = (UNMET - kids[0]).astype(np.int8)
            elif cond.all is not None:
                state = np.maximum.reduce(kids)
            else:
                state = np.minimum.reduce(kids)
        nodes[ident] = state
        return state

    def benefit_up_to(self, policy: Policy, eligible: np.ndarray) -> Vec | None:
        return _up_to_sum(self, policy, eligible)

    def benefit_amount(self, policy: Policy, eligible: np.ndarray) -> Vec | None:
        """Sum of the known benefit amounts (capped) of an eligible row, as Evaluation.benefit gives them."""
        amounts = [b for b in policy.benefits if b.amount is not None]
        if not amounts:
            return None
        total = np.zeros(self.n)
        known = np.zeros(self.n, dtype=bool)
        before = self.flagged.copy()
        for benefit in amounts:
            v = self.eval(benefit.amount.ast)  # type: ignore[union-attr]
            self.flagged = before | (self.flagged & eligible)  # amounts are computed for eligible firms only
            if v.kind not in NUMERIC:
                continue
            value = numeric(v) if benefit.cap is None else np.minimum(numeric(v), benefit.cap)
            total = total + np.where(v.known, value, 0.0)
            known |= np.asarray(v.known, dtype=bool)
        return Vec("num", total, known & eligible)


def _up_to_sum(ev: BatchEvaluation, policy: Policy, eligible: np.ndarray) -> Vec | None:
    """Sum of the known "up to N" amounts of an eligible row (Evaluation.benefit's up_to)."""
    caps = [b for b in policy.benefits if b.up_to is not None]
    if not caps:
        return None
    total = np.zeros(ev.n)
    known = np.zeros(ev.n, dtype=bool)
    for benefit in caps:
        v = ev.eval(benefit.up_to.ast)  # type: ignore[union-attr]
        if v.kind in NUMERIC:
            total = total + np.where(v.known, numeric(v), 0.0)
            known |= np.asarray(v.known, dtype=bool)
    return Vec("num", total, known & eligible)


def _sequential_sum(parts: list[np.ndarray]) -> np.ndarray:
    """Left-to-right sum from 0, as Python's sum() adds (same floating-point result)."""
    total = np.zeros(np.shape(parts[0])) if parts else np.zeros(0)
    for part in parts:
        total = total + part
    return total


def _passes(low: np.ndarray, high: np.ndarray, need: float) -> Vec:
    """True if low >= need, False if high < need, otherwise unknown."""
    sure = low >= need
    return Vec("bool", sure, sure | (high < need))


class TitleRegistry:
    """Distinct titles get a stable id, and what has_title asks of a title (its code, its level's rank, whether it
    is in force on a date) is kept as arrays over those ids: a test is then one comparison of arrays however many
    rows and chunks hold the titles.

    One registry serves the evaluations of a process (title_registry), so ids are given out and the arrays
    extended under a lock: a pack reload's canary may evaluate beside a screening in the service."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ids: dict[Any, int] = {}
        self.titles: list[Any] = []
        self.codes = np.zeros(0, dtype=object)  # by title id
        self.ranks = np.zeros(0, dtype=np.int64)
        self.active: dict[date, np.ndarray] = {}  # as_of -> in force on that date, by title id

    def register(self, sets: Iterable[Any]) -> tuple[np.ndarray, np.ndarray]:
        """(owner, title id) of every title in `sets` (tuples of titles, or None), owner being the set's position."""
        owner, title_id = [], []
        with self.lock:
            for pos, held in enumerate(sets):
                for title in held or ():
                    key = (title.title, title.level, title.valid_from, title.valid_to)  # cheaper to hash than a model
                    ident = self.ids.get(key)
                    if ident is None:
                        ident = self.ids[key] = len(self.titles)
                        self.titles.append(title)
                    owner.append(pos)
                    title_id.append(ident)
        return np.array(owner, dtype=np.int64), np.array(title_id, dtype=np.int64)

    def holds(self, as_of: date, args: tuple[str, ...]) -> np.ndarray:
        """has_title's verdict (functions.has_title.holds, a title at a time) for every title registered so far."""
        with self.lock:
            codes, ranks, active = self._facts(as_of)
        need = LEVEL_RANK[Level(args[1])] if len(args) > 1 else 0
        found = (codes == args[0]) & active
        return found & (ranks >= need) if need else found

    def _facts(self, as_of: date) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The arrays, extended to the titles registered since they were last asked for (under the lock)."""
        more = self.titles[len(self.ranks) :]
        if more:
            self.codes = np.concatenate([self.codes, object_array(t.title for t in more)])
            ranks = np.array([LEVEL_RANK[t.level] if t.level else 0 for t in more], dtype=np.int64)
            self.ranks = np.concatenate([self.ranks, ranks])
        done = self.active.get(as_of, np.zeros(0, dtype=bool))
        if len(done) < len(self.titles):
            if len(self.active) >= 64 and as_of not in self.active:  # a service asks a new date every day
                self.active.clear()
            more_active = np.array([t.active_on(as_of) for t in self.titles[len(done) :]], dtype=bool)
            done = self.active[as_of] = np.concatenate([done, more_active])
        return self.codes, self.ranks, done


MAX_TITLES = 500_000  # titles per registry; a service sees new ones with every upload
_REGISTRY = TitleRegistry()


def title_registry() -> TitleRegistry:
    """The process's registry; a fresh one once it holds MAX_TITLES (evaluations under way keep the one they have)."""
    global _REGISTRY
    if len(_REGISTRY.titles) >= MAX_TITLES:
        _REGISTRY = TitleRegistry()
    return _REGISTRY


def held_titles(titles: Vec, registry: TitleRegistry) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray, np.ndarray]:
    """Distinct title sets and the titles in them: ((row codes, sets), owner set, title id in `registry`)."""
    cached = titles.cache.get("held")
    if cached is None or cached[0] is not registry:
        codes, sets = titles.factorized()
        cached = titles.cache["held"] = (registry, (codes, sets), *registry.register(sets))
    return cached[1:]


def whole_years(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """functions.years_between over day numbers: whole years, an anniversary counting on its day."""

    def parts(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        d = np.asarray(d)
        if d.ndim and d.strides == (0,):  # a constant (the as-of date): convert it once
            year, month_day = civil(d[:1])
            return np.broadcast_to(year, d.shape), np.broadcast_to(month_day, d.shape)
        return civil(d)

    sy, s_md = parts(start)
    ey, e_md = parts(end)
    return (ey - sy - (e_md < s_md)).astype(np.float64)


def civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(year, month * 32 + day) of day numbers since 1970-01-01, in integer arithmetic (H. Hinnant's
    civil_from_days): NumPy's datetime64 conversions cost 5x more, and years_between is asked of every row."""
    z = np.asarray(days, dtype=np.int64) + 719_468  # days since 0000-03-01
    era = z // 146_097
    day_of_era = z - era * 146_097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)  # from March 1st
    shifted = (5 * day_of_year + 2) // 153  # month, March = 0
    day = day_of_year - (153 * shifted + 2) // 5 + 1
    month = np.where(shifted < 10, shifted + 3, shifted - 9)
    return year_of_era + era * 400 + (month <= 2), month * 32 + day


def evaluate_columns(pack: RulePack, as_of: date, columns: dict[str, Vec], n: int) -> BatchResult:
    """Evaluate every derived fact, scorecard and policy of `pack` over n rows of columns."""
    return BatchEvaluation(pack, as_of, columns, n).run()


def evaluate_profiles(pack: RulePack, as_of: date, profiles: list[EnterpriseProfile]) -> BatchResult:
    return evaluate_columns(pack, as_of, columns_from_profiles(profiles), len(profiles))
