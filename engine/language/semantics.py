"""What the rule language means, in one place: operators, three-valued logic, brackets and lookups.

The evaluators differ in mechanics only: the explaining and the status evaluators compute with closures
built from these definitions (engine/evaluate/closures.py; the status evaluator's generated code inlines
them), the bracket and lookup rows and three-valued junctions of the explaining evaluator are these very
functions, the vectorised one (engine/batch/vectorized.py) runs numpy over columns and falls back to these very
functions row by row where numpy cannot mirror them; tests/test_semantics.py checks the vectorised
operators against the definitions here, value by value, unknowns and NaN included.

Three-valued logic has one encoding: a truth is True, False or None (unknown). A condition's status word
("met" / "unmet" / "unknown") and the array codes MET < UNKNOWN < UNMET are views of it (`status_of`,
`CODE`): in codes `all` is the maximum, `any` the minimum and `not` is UNMET - code.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable
from typing import Any, Literal

from engine.language.rules import Bracket, BracketTable, Derived, Lookup


class RuleRuntimeError(Exception):
    """A well-typed rule that cannot be computed for one profile (e.g. a product beyond float range)."""


# What a rule failing on one firm's data may raise: it becomes that firm's `error` decision. Anything else
# (NameError, AttributeError, ImportError, KeyError, TypeError…) is a defect in the engine and propagates.
RULE_FAILURES: tuple[type[Exception], ...] = (RuleRuntimeError, ArithmeticError, ValueError)

Truth = bool | None
Status = Literal["met", "unmet", "unknown"]

# --- operators ------------------------------------------------------------------


def divide(x: Any, y: Any) -> Any:
    """x / y; dividing by zero is unknown (a ratio of nothing says nothing), never an error."""
    return None if y == 0 else x / y


COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
}
ARITH: dict[str, Callable[[Any, Any], Any]] = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": divide}
BOUND: dict[str, str] = {"ge": ">=", "gt": ">", "le": "<=", "lt": "<"}  # a bracket row's bound -> its comparison


def finite(value: Any, what: str) -> Any:
    """An arithmetic result, refused when it is not a finite number (an overflow, inf - inf)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise RuleRuntimeError(f"{what} gives {value} (beyond the range of numbers)")
    return value


def binary(op: str, x: Any, y: Any) -> Any:
    """`x op y` for an arithmetic or comparison operator: unknown if either side is; a result beyond the
    range of numbers, or operands the operator cannot take, fail the rule (RuleRuntimeError)."""
    if x is None or y is None:
        return None
    try:
        if op in COMPARE:
            return COMPARE[op](x, y)
        return finite(ARITH[op](x, y), f"{x!r} {op} {y!r}")
    except (TypeError, OverflowError) as e:
        raise RuleRuntimeError(f"cannot compute {x!r} {op} {y!r}: {e}") from None


def negate(x: Any) -> Any:
    return None if x is None else -x


# --- three-valued logic ------------------------------------------------------------


def truth(value: Any) -> Truth:
    """A value used as a condition: unknown stays unknown, anything else by Python truth."""
    return None if value is None else bool(value)


def invert(value: Any) -> Truth:
    return None if value is None else not value


def junction(values: Iterable[Any], want: bool) -> Truth:
    """`or` (want=True) or `and` (want=False): `want` if any value is `want`; otherwise unknown if any value
    is unknown; otherwise `not want`. The caller evaluates every operand (no short cut), so a rule that
    fails fails for every firm in every evaluator."""
    saw_unknown = False
    for value in values:
        if value is None:
            saw_unknown = True
        elif bool(value) == want:
            return want
    return None if saw_unknown else not want


def status_of(value: Truth) -> Status:
    return "unknown" if value is None else ("met" if value else "unmet")


def truth_of(status: str) -> Truth:
    return None if status == "unknown" else status == "met"


# The same truths as small integers for condition arrays, ordered so `all` is a maximum and `any` a minimum.
MET, UNKNOWN, UNMET = 0, 1, 2
CODE: dict[Truth, int] = {True: MET, None: UNKNOWN, False: UNMET}

# --- brackets and lookups ----------------------------------------------------------


def bracket_matches(row: Bracket, value: float) -> bool:
    return all(COMPARE[BOUND[op]](value, bound) for op, bound in row.bounds())


def bracket_row(table: BracketTable, value: Any) -> Bracket | None:
    """The first row whose bounds hold (rows are tried in written order)."""
    return None if value is None else next((r for r in table.rows if bracket_matches(r, value)), None)


def bracket_finder(table: BracketTable, pick: Callable[[Bracket], Any], otherwise: Any) -> Callable[[Any], Any]:
    """bracket_row's choice as a function of a known value, with the rows' bounds resolved once (the compiled
    evaluators' form): `pick(row)` of the first row whose bounds hold, else `otherwise`."""
    rows = [([(COMPARE[BOUND[op]], bound) for op, bound in row.bounds()], pick(row)) for row in table.rows]

    def find(value: Any) -> Any:
        for tests, found in rows:
            for test, bound in tests:
                if not test(value, bound):
                    break
            else:
                return found
        return otherwise

    return find


def bracket_result(table: BracketTable, value: Any) -> Any:
    if value is None:
        return None
    row = bracket_row(table, value)
    return table.otherwise if row is None else row.result()


def bracket_range(table: BracketTable, value: Any) -> tuple[Any, Any]:
    """(bottom, top) of the points `value` earns: equal unless its row is an expert-judged range."""
    if value is None:
        return None, None
    row = bracket_row(table, value)
    return (table.otherwise, table.otherwise) if row is None else (row.result(), row.top())


def lookup_row(lookup: Lookup, key: Any) -> int | None:
    """Position of the row `key` matches, None for the default: `exact` takes the first row listing the key;
    `prefix` the row with the longest key the text starts with (the first such row on a tie)."""
    if key is None:
        return None
    key, first = str(key), _first_rows(lookup)
    if lookup.match == "exact":
        return first.get(key)
    # the longest listed key the text starts with: a text has one prefix of each length
    return next((first[key[:n]] for n in range(len(key), -1, -1) if key[:n] in first), None)


_FIRST_ROWS: dict[int, tuple[Lookup, dict[str, int]]] = {}  # id -> (the lookup, kept so the id stays its own; index)


def _first_rows(lookup: Lookup) -> dict[str, int]:
    """Each key a lookup lists -> the first row listing it (worked out once per lookup table)."""
    found = _FIRST_ROWS.get(id(lookup))
    if found is None or found[0] is not lookup:
        if len(_FIRST_ROWS) >= 1024:  # packs come and go with reloads: bounded
            _FIRST_ROWS.clear()
        index: dict[str, int] = {}
        for pos, row in enumerate(lookup.table):
            for k in row.keys:
                index.setdefault(k, pos)
        found = _FIRST_ROWS[id(lookup)] = (lookup, index)
    return found[1]


def lookup_result(rule: Derived, key: Any) -> Any:
    lookup = rule.lookup
    if lookup is None:
        raise RuleRuntimeError(f"{rule.id} has no lookup table / 没有查找表")
    if key is None:
        return None
    pos = lookup_row(lookup, key)
    return lookup.default if pos is None else lookup.table[pos].value
