"""Types of the rule language, inferred and checked for every expression of a pack at load.

Every name has a type: profile facts from the profile model, parameters from their values,
derived facts from their formula or their table of values, scorecards (number; `_passed`
yes/no) and policies (yes/no). An expression that compares text with a number, does
arithmetic on dates or yes/no, names an unknown title, level or enumeration value, or uses
something other than yes/no as a condition is refused with the file:line of the expression,
in Chinese and English, so a pack that loads cannot fail on a type at evaluation.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from engine.language import expr as ex
from engine.language.functions import REGISTRY
from engine.language.rules import BracketTable, Condition, Derived, Expression, Indicator, Parameter, Policy, Scorecard
from engine.language.suggest import did_you_mean
from engine.language.visitor import Visitor
from engine.model.profile import FIELDS, PRODUCT_FIELDS, TITLES, Level, field_kind, unit_of

NUMERIC = frozenset({"number", "integer", "money", "ratio"})
TEXTUAL = frozenset({"text", "enum"})
KIND_WORDS = {
    "number": ("数值", "number"),
    "integer": ("整数", "integer"),
    "money": ("金额（万元）", "money (万元)"),
    "ratio": ("比例", "ratio"),
    "date": ("日期", "date"),
    "bool": ("是/否", "yes/no"),
    "text": ("文本", "text"),
    "enum": ("枚举", "enumeration"),
    "titles": ("称号列表", "list of titles"),
    "any": ("任意", "any"),
}
MONEY_UNITS = {"万元", "元"}
RATIO_UNITS = {"ratio", "%", "比例"}


@dataclass(frozen=True)
class Type:
    kind: str  # one of KIND_WORDS
    values: frozenset[str] = frozenset()  # an enumeration's values

    @property
    def zh(self) -> str:
        return KIND_WORDS[self.kind][0] + (f"（{'、'.join(sorted(self.values))}）" if self.values else "")

    @property
    def en(self) -> str:
        return KIND_WORDS[self.kind][1] + (f" ({', '.join(sorted(self.values))})" if self.values else "")

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC or self.kind == "any"

    def fits(self, kind: str) -> bool:
        return self.kind in (kind, "any")


BOOL, DATE, TEXT, NUMBER, INTEGER = Type("bool"), Type("date"), Type("text"), Type("number"), Type("integer")
ANY = Type("any")  # a name whose own definition failed to check: reported there once, accepted elsewhere
LEVELS = frozenset(level.value for level in Level)


class TypeProblem(Exception):
    def __init__(self, en: str, zh: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.en, self.zh = en, zh


def with_unit(base: Type, unit: str | None) -> Type:
    """A number with a unit of money or ratio is that kind of number."""
    if not base.numeric or unit is None:
        return base
    return Type("money") if unit in MONEY_UNITS else Type("ratio") if unit in RATIO_UNITS else base


def field_type(name: str) -> Type:
    kind = field_kind(name)
    if kind == "level":
        return Type("enum", LEVELS)
    if name == "main_product_field":
        return Type("enum", frozenset(PRODUCT_FIELDS))
    base = {"number": NUMBER, "integer": INTEGER, "bool": BOOL, "date": DATE, "text": TEXT, "titles": Type("titles")}[
        kind
    ]
    return with_unit(base, unit_of(name))


def value_type(value: Any) -> Type:
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return NUMBER
    if isinstance(value, date):
        return DATE
    return TEXT


def join(types: Iterable[Type], what_en: str, what_zh: str) -> Type:
    """The one type of several values (integers and numbers join as numbers; texts as an enumeration)."""
    found = list(types)
    if all(t.numeric for t in found):
        kinds = {t.kind for t in found}
        return Type(kinds.pop()) if len(kinds) == 1 else NUMBER
    if all(t.kind in TEXTUAL for t in found):
        return (
            TEXT
            if any(t.kind == "text" and not t.values for t in found)
            else Type("enum", frozenset().union(*(t.values for t in found)))
        )
    kinds = {t.kind for t in found}
    if len(kinds) != 1:
        raise TypeProblem(
            f"{what_en} mixes values of different types: {', '.join(sorted(KIND_WORDS[k][1] for k in kinds))}",
            f"{what_zh}的取值类型不一致：{'、'.join(sorted(KIND_WORDS[k][0] for k in kinds))}",
        )
    return found[0]


def literal_type(values: Iterable[Any], what_en: str, what_zh: str) -> Type:
    """The type of a table's values: texts form an enumeration of exactly those texts."""
    values = [v for v in values if v is not None]
    if values and all(isinstance(v, str) for v in values):
        return Type("enum", frozenset(values))
    return join((value_type(v) for v in values), what_en, what_zh) if values else NUMBER


class Checker(Visitor[Type]):
    """Infers the type of every expression; `names` grows as derived facts are typed in pack order."""

    def __init__(self, names: dict[str, Type], constants: dict[str, list[Any]] | None = None) -> None:
        self.names = names
        self.constants = constants or {}  # parameter -> the values of its versions

    def on_num(self, node: ex.Num) -> Type:
        return Type("ratio") if node.percent else INTEGER if float(node.value).is_integer() else NUMBER

    def on_str(self, node: ex.Str) -> Type:
        return TEXT

    def on_datelit(self, node: ex.DateLit) -> Type:
        return DATE

    def on_bool(self, node: ex.Bool) -> Type:
        return BOOL

    def on_name(self, node: ex.Name) -> Type:
        return self.names.get(node.name, NUMBER)

    def on_and(self, node: ex.And | ex.Or) -> Type:
        for operand in node.operands:
            self.want_bool(operand, "and" if isinstance(node, ex.And) else "or")
        return BOOL

    on_or = on_and

    def on_not(self, node: ex.Not) -> Type:
        self.want_bool(node.operand, "not")
        return BOOL

    def on_neg(self, node: ex.Neg) -> Type:
        return self.arithmetic("-", self.of(node.operand), INTEGER)

    def on_binop(self, node: ex.BinOp) -> Type:
        return self.arithmetic(node.op, self.of(node.left), self.of(node.right))

    def on_compare(self, node: ex.Compare) -> Type:
        self.comparable(node.op, node.left, node.right)
        return BOOL

    def on_call(self, node: ex.Call) -> Type:
        return self.call(node)

    of = Visitor.visit  # the type of an expression (raises TypeProblem)

    def want_bool(self, node: ex.Node, where: str) -> None:
        found = self.of(node)
        if not found.fits("bool"):
            raise TypeProblem(
                f"'{where}' needs yes/no values, got {found.en}", f"'{where}' 需要 是/否 值，实际为{found.zh}"
            )

    @staticmethod
    def arithmetic(op: str, a: Type, b: Type) -> Type:
        if not (a.numeric and b.numeric):
            bad = a if not a.numeric else b
            raise TypeProblem(
                f"arithmetic '{op}' on {bad.en}: only numbers can be added, subtracted, multiplied or divided",
                f"不能对{bad.zh}做算术运算 '{op}'：只有数值可以加减乘除",
            )
        if op in "+-" and a.kind == b.kind:
            return a
        if op == "*" and a.kind == b.kind == "integer":
            return INTEGER
        if op in "*/" and "money" in (a.kind, b.kind) and not a.kind == b.kind == "money":
            return Type("money") if a.kind == "money" or op == "*" else NUMBER
        return NUMBER

    def comparable(self, op: str, left: ex.Node, right: ex.Node) -> None:
        a, b = self.of(left), self.of(right)
        if (a.numeric and b.numeric) or a.kind == b.kind == "date" or ANY in (a, b):
            return
        if a.kind == b.kind == "bool" or (a.kind in TEXTUAL and b.kind in TEXTUAL):
            if op not in ("==", "!="):
                raise TypeProblem(
                    f"'{op}' cannot order {a.en}; use == or !=", f"{a.zh}不能用 '{op}' 比较大小，只能用 == 或 !="
                )
            self.known_values(a, right)
            self.known_values(b, left)
            return
        raise TypeProblem(f"cannot compare {a.en} with {b.en}", f"不能将{a.zh}与{b.zh}比较")

    @staticmethod
    def known_values(enum: Type, node: ex.Node) -> None:
        """A text literal compared with an enumeration must be one of its values."""
        if enum.kind == "enum" and isinstance(node, ex.Str) and node.value not in enum.values:
            hint_en, hint_zh = did_you_mean(node.value, enum.values)
            raise TypeProblem(
                f"{node.value!r} is not one of {', '.join(sorted(enum.values))}{hint_en}",
                f"{node.value!r} 不是可选值（{'、'.join(sorted(enum.values))}）之一{hint_zh}",
            )

    def call(self, node: ex.Call) -> Type:
        args = [self.of(a) for a in node.args]
        func = node.func
        if func in ("min", "max", "abs"):
            if not all(a.numeric for a in args):
                raise TypeProblem(f"{func}() takes numbers", f"{func}() 的参数必须是数值")
            return join(args, func, func)
        if func == "years_between":
            if not all(a.kind == "date" for a in args):
                raise TypeProblem("years_between() takes two dates", "years_between() 的两个参数必须是日期")
            return INTEGER
        if func == "has_title":
            self.title_args(node.args)
            return BOOL
        if REGISTRY[func].numeric:  # a number function declared in its own module (engine/language/functions)
            if not all(a.numeric for a in args):
                raise TypeProblem(f"{func}() takes numbers", f"{func}() 的参数必须是数值")
            return args[0]
        subject, options = args[0], args[1:]
        if func == "starts_with":
            if not all(t.kind in TEXTUAL for t in args):
                raise TypeProblem("starts_with() takes text", "starts_with() 的参数必须是文本")
            return BOOL
        for option, written in zip(options, node.args[1:]):  # one_of(value, options…): each option as with ==
            if not (
                (subject.numeric and option.numeric)
                or subject.kind == option.kind
                or (subject.kind in TEXTUAL and option.kind in TEXTUAL)
            ):
                raise TypeProblem(
                    f"one_of(): cannot compare {subject.en} with {option.en}",
                    f"one_of()：不能将{subject.zh}与{option.zh}比较",
                )
            self.known_values(subject, written)
        return BOOL

    def title_args(self, args: tuple[ex.Node, ...]) -> None:
        """has_title('code'[, 'level']): written out (or a parameter), and known."""
        for arg, table, what_en, what_zh in zip(args, (TITLES, LEVELS), ("title", "level"), ("称号", "级别")):
            if isinstance(arg, ex.Str):
                values = [arg.value]
            elif isinstance(arg, ex.Name) and arg.name in self.constants:
                values = self.constants[arg.name]
            else:
                raise TypeProblem(
                    f"has_title(): the {what_en} must be written in quotes or be a parameter",
                    f"has_title()：{what_zh}须用引号写明或使用参数",
                )
            for value in values:
                if value not in table:
                    hint_en, hint_zh = did_you_mean(str(value), table)
                    raise TypeProblem(
                        f"has_title(): unknown {what_en} {value!r}{hint_en}; known: {', '.join(table)}",
                        f"has_title()：未知{what_zh} {value!r}{hint_zh}；可选：{'、'.join(table)}",
                    )


# --- the pack ------------------------------------------------------------------------------------

Problem = tuple[str, int | None, str]  # file, line, message


class PackTypes:
    """The types of every name of a pack, and the type problems found, each at file:line."""

    def __init__(self, pack: Any) -> None:
        self.pack = pack  # an assembled engine.language.loader.RulePack (the loader imports this module)
        self.names: dict[str, Type] = {name: field_type(name) for name in FIELDS} | {"as_of": DATE}
        self.check = Checker(self.names, {k: [v.value for v in p.versions] for k, p in pack.parameters.items()})
        self.problems: list[Problem] = []

    def run(self) -> list[Problem]:
        for ident, param in self.pack.parameters.items():
            self.guard(ident, None, lambda p=param: self.parameter(p))
        for ident in self.pack.order:
            self.names.setdefault(ident, BOOL if ident in self.pack.policies else NUMBER)
        for ident in self.pack.order:
            if ident in self.pack.derived:
                self.guard(ident, None, lambda r=self.pack.derived[ident]: self.derived(r))
            elif ident in self.pack.scorecards:
                self.scorecard(self.pack.scorecards[ident])
            else:
                for policy in self.pack.policies[ident]:
                    self.policy(policy)
        return self.problems

    def guard(self, ident: str, expression: Expression | None, work: Any) -> Any:
        try:
            return work()
        except TypeProblem as e:
            file, line = self.pack.origin.get(ident, ("?", None))
            shown = f" in `{expression.text}`" if expression is not None else ""
            shown_zh = f"（`{expression.text}`）" if expression is not None else ""
            where = expression.line if expression is not None and expression.line else line
            self.problems.append((file, where, f"{ident}: 类型错误：{e.zh}{shown_zh} / type error: {e.en}{shown}"))
            return None

    def expect(self, ident: str, expression: Expression, want: str) -> Type | None:
        """Type of an expression that must be yes/no (want='bool') or a number (want='numeric')."""

        def work() -> Type:
            found = self.check.of(expression.ast)
            if want == "bool" and not found.fits("bool"):
                raise TypeProblem(f"a condition must be yes/no, got {found.en}", f"条件必须是 是/否，实际为{found.zh}")
            if want == "numeric" and not found.numeric:
                raise TypeProblem(f"a number is needed here, got {found.en}", f"此处需要数值，实际为{found.zh}")
            return found

        return self.guard(ident, expression, work)

    def parameter(self, param: Parameter) -> None:
        self.names[param.id] = ANY  # until its versions agree
        found = join((value_type(v.value) for v in param.versions), "the versions", "各版本")
        self.names[param.id] = with_unit(found, param.unit)

    def derived(self, rule: Derived) -> None:
        if rule.formula is not None:
            found = self.expect(rule.id, rule.formula, "any")
        elif rule.brackets is not None:
            found = self.brackets(rule.id, rule.brackets)
        elif rule.lookup is not None:
            key = self.guard(rule.id, rule.lookup.key, lambda: self.check.of(rule.lookup.key.ast))  # type: ignore
            if key is not None and key.kind not in TEXTUAL:
                self.guard(
                    rule.id,
                    rule.lookup.key,
                    lambda: _fail(f"a lookup key must be text, got {key.en}", f"查表的键必须是文本，实际为{key.zh}"),
                )
            found = literal_type([r.value for r in rule.lookup.table] + [rule.lookup.default], "the table", "查表")
        else:
            for case in rule.cases or []:
                self.expect(rule.id, case.when, "bool")
            found = self.guard(
                rule.id, None, lambda: literal_type([c.value for c in rule.cases or []], "the cases", "各情形")
            )
        self.names[rule.id] = ANY if found is None else with_unit(found, rule.unit)

    def brackets(self, ident: str, table: BracketTable) -> Type | None:
        self.expect(ident, table.of, "numeric")
        return self.guard(
            ident,
            table.of,
            lambda: literal_type([r.result() for r in table.rows] + [table.otherwise], "the bracket rows", "分档表"),
        )

    def scorecard(self, card: Scorecard) -> None:
        for indicator in (i for g in card.groups for i in g.indicators):
            self.indicator(card.id, indicator)
        for route in card.direct_routes:
            self.expect(card.id, route.when, "bool")
        self.names[card.id], self.names[card.id + "_passed"] = NUMBER, BOOL

    def indicator(self, ident: str, ind: Indicator) -> None:
        for table in ([ind.brackets] if ind.brackets else []) + (ind.best_of or []):
            found = self.brackets(ident, table)
            if found is not None and not found.numeric:
                self.guard(
                    ident,
                    table.of,
                    lambda f=found: _fail(f"points must be numbers, got {f.en}", f"得分必须是数值，实际为{f.zh}"),
                )
        for item in (ind.cases or []) + (ind.items or []):
            self.expect(ident, item.when, "bool")
        if ind.formula is not None:
            self.expect(ident, ind.formula, "numeric")

    def policy(self, policy: Policy) -> None:
        for leaf in conditions(policy.conditions):
            self.expect(policy.id, leaf.when, "bool")  # type: ignore[arg-type]
        for benefit in policy.benefits:
            if benefit.amount is not None:
                self.expect(policy.id, benefit.amount, "numeric")


def _fail(en: str, zh: str) -> None:
    raise TypeProblem(en, zh)


def conditions(root: Condition) -> Iterator[Condition]:
    """The leaves of a condition tree, without recursion."""
    todo = [root]
    while todo:
        cond = todo.pop()
        if cond.when is not None:
            yield cond
        todo += reversed(cond.children())


def check_pack(pack: Any) -> tuple[dict[str, Type], list[Problem]]:
    """The type of every name of the pack and the problems found (file, line, bilingual message)."""
    types = PackTypes(pack)
    problems = types.run()
    return types.names, problems
