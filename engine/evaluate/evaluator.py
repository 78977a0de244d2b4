"""The explainable evaluator: a profile and an as-of date in, decisions with rationale out.

Three-valued throughout: a fact that is missing is unknown (None), never zero;
`and` is false if any part is false, `or` true if any part is true, otherwise
unknown parts make the whole unknown. Every unknown result carries the profile
fields that would settle it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any

from engine.evaluate import provenance as pv
from engine.evaluate.closures import At, Compiled, Missing, compile_expr
from engine.evaluate.explain import Renderer, expression_unit, fmt_number, fmt_value, is_ratio, with_reason
from engine.language import expr as ex
from engine.language import graph
from engine.language import semantics as sem
from engine.language.loader import RulePack, dependencies, expressions_of
from engine.language.rules import BracketTable, Condition, Derived, Indicator, Policy, Scorecard, Source, Text
from engine.language.semantics import (  # re-exported: the names the other evaluators import from here
    RuleRuntimeError,
    lookup_result,
    status_of,
)
from engine.model.profile import FIELDS, EnterpriseProfile, asked_of_firm, label, label_zh
from engine.model.results import (
    Assessment,
    Assumption,
    BenefitResult,
    Check,
    ConditionResult,
    Decision,
    GroupResult,
    IndicatorResult,
    InformationEntry,
    RouteResult,
    ScorecardResult,
    Words,
    made,
)

log = logging.getLogger("ipcheck.rules")
# Rule failures since the process started, by "file:line" of the rule (shown in /healthz).
RUNTIME_ERRORS: Counter[str] = Counter()


def dependencies_of(pack: RulePack, ident: str) -> set[str]:
    """The derived, scorecard and policy ids one rule reads directly (engine.language.graph)."""
    return graph.reads_of(pack, ident)


COMBINATOR_WORDS = {
    "all": Words(zh="同时满足以下全部条件", en="all of the following"),
    "any": Words(zh="满足以下任一条件", en="any of the following"),
    "not": Words(zh="不得满足以下条件", en="none of the following"),
}


# --- what does not depend on the profile, worked out once --------------------
# Caches below are keyed by id() of rule objects and AST nodes and keep the object itself in the
# entry, so an id cannot be reused while its entry exists.

MAX_DATES = 64  # as-of dates kept per pack (the service mostly uses today; tests use many)
MAX_CLOSURES = 50_000  # compiled expressions kept per pack and date (the shipped pack has a few thousand)


class OnDate:
    """A pack on one as-of date: parameter values, compiled expressions and the rules in words. The words
    show parameters as their values, so they depend on the date, never on the firm. Shared by every date
    with the same versions in force (RulePack.versions_on): the date itself is read from the evaluation's
    values, and `as_of` is the first of those dates."""

    def __init__(self, prepared: Prepared, as_of: date) -> None:
        pack = self.pack = prepared.pack
        self.prepared, self.as_of = prepared, as_of
        self.versions = {ident: p.version_on(as_of) for ident, p in pack.parameters.items()}
        self.values = {ident: None if v is None else v.value for ident, v in self.versions.items()}
        self.render = Renderer(pack.label, pack.unit, self.values.get)
        self.at = At(None, dict(self.values))
        self._closures: dict[int, tuple[ex.Node, Compiled]] = {}
        self._texts: dict[int, tuple[ex.Node, Words]] = {}
        self._sources: dict[int, tuple[ex.Node, str | None]] = {}
        self._assumptions: dict[pv.Key, Assumption] = {}
        self._reading: dict[int, tuple[Any, tuple[frozenset[pv.Key], tuple[str, ...]]]] = {}
        self._leaves: dict[int, tuple[Condition, Leaf]] = {}
        self._scored: dict[tuple[int, str], tuple[Indicator, Scored]] = {}
        # the names whose values carry provenance of their own (Evaluation.prov)
        self.ruled = {*pack.derived, *pack.policies, *pack.scorecards, *(c + "_passed" for c in pack.scorecards)}

    def reading(
        self, owner: ex.Node | Any, names: Callable[[], Collection[str]]
    ) -> tuple[frozenset[pv.Key], tuple[str, ...]]:
        """What `owner` (an expression or a rule object) reading `names` rests on whatever the firm: the keys of the
        assumed parameters in force it reads, and the facts it reads whose own provenance it takes on."""
        entry = self._reading.get(id(owner))
        if entry is None:
            read = set(names())
            assumed = frozenset(
                ("parameter", n)
                for n in read
                if (version := self.versions.get(n)) is not None and pv.unconfirmed(version.status)
            )
            entry = self._reading[id(owner)] = (owner, (assumed, tuple(sorted(read & self.ruled))))
        return entry[1]

    def reading_all(self, item: Any) -> tuple[frozenset[pv.Key], tuple[str, ...]]:
        """reading() of every expression of a rule object (derived fact, indicator)."""
        prepared = self.prepared
        return self.reading(item, lambda: set().union(*map(prepared.names, prepared.expressions(item))))

    def described(self, keys: Collection[pv.Key]) -> list[Assumption]:
        """provenance.described, each key worked out once per pack and date: the words of an assumption name
        the rules and the parameters in force, never the firm. The Assumption objects are shared, not copied."""
        found = []
        for key in sorted(keys):
            assumption = self._assumptions.get(key)
            if assumption is None:
                assumption = self._assumptions[key] = pv.describe(self.pack, self.as_of, key)
            found.append(assumption)
        return found

    def closures(self, node: ex.Node) -> Compiled:
        """An expression compiled for this date (engine/evaluate/closures.py). Nodes made outside the pack (what-if
        builds a few) would fill the cache, so it is emptied past MAX_CLOSURES."""
        entry = self._closures.get(id(node))
        if entry is None:
            if len(self._closures) >= MAX_CLOSURES:
                self._closures.clear()
            entry = self._closures[id(node)] = (node, compile_expr(node, self.at))
        return entry[1]

    def words(self, node: ex.Node) -> Words:
        entry = self._texts.get(id(node))
        if entry is None:
            entry = self._texts[id(node)] = (node, self.render.words(node))
        return entry[1]

    def threshold_source(self, node: ex.Node) -> str | None:
        """Citation of the first parameter (by id) a threshold expression reads, as in force."""
        entry = self._sources.get(id(node))
        if entry is None:
            params = sorted(ex.names(node) & self.versions.keys())
            version = self.versions[params[0]] if params else None
            cited = (
                None
                if version is None
                else version.source.cite() + ("" if version.status == "confirmed" else f" [{version.status}]")
            )
            entry = self._sources[id(node)] = (node, cited)
        return entry[1]

    def leaf(self, cond: Condition) -> Leaf:
        """A condition leaf's plan: what every evaluation of it shows, whatever the firm."""
        entry = self._leaves.get(id(cond))
        if entry is None:
            entry = self._leaves[id(cond)] = (cond, self._leaf(cond))
        return entry[1]

    def _leaf(self, cond: Condition) -> Leaf:
        test = cond.test()
        node, prepared = test.ast, self.prepared
        gauge = None
        if isinstance(node, ex.Compare):
            percent, unit = prepared.gauge(node)
            left, right = self.closures(node.left), self.closures(node.right)
            source, subject = self.threshold_source(node.right), self.words(node.left)
            gauge = Gauge(node, left, right, source, percent, unit, subject, SIGNS[node.op])
        return Leaf(
            cond=cond,
            test=self.closures(node),
            expression=test.text,
            reads=prepared.leaf_reads(node),
            text=self.words(node),
            label=prepared.words(cond.label) if cond.label else None,
            source=cond.source.cite() if cond.source else None,
            gauge=gauge,
        )

    def scored(self, ind: Indicator, card_id: str) -> Scored:
        """An indicator's plan in the scorecard `card_id`: what every scoring of it shows, whatever the firm."""
        entry = self._scored.get((id(ind), card_id))
        if entry is None:
            entry = self._scored[id(ind), card_id] = (ind, self._scored_plan(ind, card_id))
        return entry[1]

    def _scored_plan(self, ind: Indicator, card_id: str) -> Scored:
        prepared, owner = self.prepared, f"{card_id}.{ind.id}"
        assumed, facts = self.reading_all(ind)
        own = {("indicator", card_id, ind.id)} if pv.unconfirmed(ind.status) else set()
        tables = ind.best_of or ([ind.brackets] if ind.brackets is not None else [])
        return Scored(
            assumed=frozenset(own | assumed),
            facts=facts,
            tables=tuple(
                (owner + (f".{n}" if ind.best_of else ""), table, self.closures(table.of.ast))
                for n, table in enumerate(tables)
                if prepared.table(table)[1]
            ),
            cases=owner if ind.cases else None,
            label=prepared.words(ind.label),
            reads=prepared.indicator_reads(ind),
            source=prepared.cite(ind.source) if ind.source else None,
            top=float(ind.max),
        )


SIGNS = {"<": "<", "<=": "≤", ">": ">", ">=": "≥", "==": "=", "!=": "≠"}  # a comparison as the texts show it


@dataclass(frozen=True, slots=True)
class Gauge:
    """A comparison leaf's parts that its gap and what it would take are worded from (Evaluation.measure_gap)."""

    node: ex.Compare
    left: Compiled
    right: Compiled  # the threshold
    source: str | None  # the threshold's citation
    percent: bool  # shown as %
    unit: str | None  # of the left side
    subject: Words  # the left side in words
    sign: str
    thresholds: dict[tuple[type, Any], tuple[str, str]] = field(default_factory=dict)  # said(), by value

    def show(self, value: float, lang: str = "zh") -> str:
        """A value of either side in words."""
        return fmt_number(value, self.percent) if self.percent else fmt_value(value, self.unit, lang)

    def said(self, threshold: float) -> tuple[str, str]:
        """The threshold in words (zh, en), kept by value: most thresholds are the same for every firm."""
        key = (threshold.__class__, threshold)
        found = self.thresholds.get(key)
        if found is None:
            found = (self.show(threshold), self.show(threshold, "en"))
            if len(self.thresholds) < 16:  # a threshold computed from the firm's facts is not worth keeping
                self.thresholds[key] = found
        return found


@dataclass(frozen=True, slots=True)
class Scored:
    """An indicator of a scorecard on one set of rules in force, as far as it does not depend on the firm
    (score_indicator): what its provenance rests on and what its result shows."""

    assumed: frozenset[pv.Key]  # its own key if assumed, and the assumed parameters it reads
    facts: tuple[str, ...]  # the facts whose provenance it takes on
    tables: tuple[tuple[str, BracketTable, Compiled], ...]  # (owner, table, its input) of its assumed tables
    cases: str | None  # the owner of its cases' keys, if it has cases
    label: Words
    reads: list[str]  # the facts it shows
    source: str | None  # citation
    top: float  # its maximum


@dataclass(frozen=True, slots=True)
class Leaf:
    """A condition leaf on one set of rules in force, as far as it does not depend on the firm (check_leaf)."""

    cond: Condition
    test: Compiled
    expression: str
    reads: list[str]  # the facts it shows
    text: Words
    label: Words | None
    source: str | None  # citation
    gauge: Gauge | None  # for a comparison


@dataclass(frozen=True, slots=True)
class Shape:
    """A node of a policy's condition tree as every evaluation shows it, whatever the firm (Prepared.tree)."""

    cond: Condition
    id: str  # its own id, or its position (conditions.2.1)
    label: Words | None
    source: str | None  # citation
    combinator: str | None  # all / any / not; None for a leaf
    kids: tuple[Shape, ...]


class Prepared:
    """What every evaluation on one pack reads from the rules alone."""

    def __init__(self, pack: RulePack) -> None:
        self.pack = pack
        self._dates: dict[date, OnDate] = {}
        self._in_force: dict[Any, OnDate] = {}  # RulePack.versions_on -> the OnDate its dates share
        self._by_object: dict[Any, tuple[Any, Any]] = {}  # id(rule object) -> (the object, what it gives)
        self._cones: dict[frozenset[str], list[str]] = {}
        self._information: dict[date, list[InformationEntry]] = {}

    def cone(self, targets: Collection[str]) -> list[str]:
        """`targets` (derived, scorecard and policy ids) and all they depend on, in evaluation order."""
        key = frozenset(targets)
        found = self._cones.get(key)
        if found is None:
            found = self._cones[key] = graph.cone(self.pack, key)
        return found

    def on(self, as_of: date) -> OnDate:
        found = self._dates.get(as_of)
        if found is None:
            if len(self._dates) >= MAX_DATES:
                self._dates.clear()
                self._in_force.clear()
                self._information.clear()
            key = self.pack.versions_on(as_of)
            found = self._in_force.get(key)
            if found is None:
                found = self._in_force[key] = OnDate(self, as_of)
            self._dates[as_of] = found
        return found

    def information(self, as_of: date) -> list[InformationEntry]:
        """information(), made once per date (on() bounds the dates kept): the entries are the same for every
        firm, shared by the assessments, which only read them."""
        found = self._information.get(as_of)
        if found is None:
            found = self._information[as_of] = information(self.pack, as_of)
        return list(found)

    def words(self, text: Text) -> Words:
        """A rule's own bilingual text (label, title) as a result's words."""
        entry = self._by_object.get(id(text))
        if entry is None:
            entry = self._by_object[id(text)] = (text, made(Words, zh=text.zh, en=text.en))
        return entry[1]

    def tree(self, policy: Policy) -> Shape:
        """The shape of a policy version's condition tree."""
        entry = self._by_object.get(("tree", id(policy)))
        if entry is None:
            entry = self._by_object[("tree", id(policy))] = (policy, self._shape(policy.conditions, "conditions"))
        return entry[1]

    def _shape(self, cond: Condition, path: str) -> Shape:
        ident = cond.id or path
        combinator = (
            None
            if cond.when is not None
            else "not"
            if cond.not_ is not None
            else "all"
            if cond.all is not None
            else "any"
        )
        return Shape(
            cond=cond,
            id=ident,
            label=self.words(cond.label) if cond.label else None,
            source=cond.source.cite() if cond.source else None,
            combinator=combinator,
            kids=tuple(self._shape(c, f"{ident}.{n + 1}") for n, c in enumerate(cond.children())),
        )

    def gauge(self, node: ex.Compare) -> tuple[bool, str | None]:
        """(whether a comparison is of ratios, shown as %; the unit of its left side)."""
        key = ("gauge", id(node))
        entry = self._by_object.get(key)
        if entry is None:
            unit = self.pack.unit
            entry = self._by_object[key] = (node, (is_ratio(node, unit), expression_unit(node.left, unit)))
        return entry[1]

    def table(self, table: BracketTable) -> tuple[Callable[[Any], tuple[Any, Any]], bool]:
        """(the table as a function of its input: the (bottom, top) of the points or value of the row it falls in, as
        semantics.bracket_range; whether any row or edge of it is assumed: provenance looks only at those)."""
        entry = self._by_object.get(id(table))
        if entry is None:
            find = sem.bracket_finder(table, lambda row: (row.result(), row.top()), (table.otherwise, table.otherwise))

            def ranged(value: Any) -> tuple[Any, Any]:
                return (None, None) if value is None else find(value)

            assumed = any(pv.unconfirmed(r.status) or pv.unconfirmed(r.edge) for r in table.rows)
            entry = self._by_object[id(table)] = (table, (ranged, assumed))
        return entry[1]

    def assumed_cases(self, cases: list[Any]) -> bool:
        """Whether any of a rule's cases is assumed (`cases` is the rule's own list)."""
        entry = self._by_object.get(id(cases))
        if entry is None:
            entry = self._by_object[id(cases)] = (cases, any(pv.unconfirmed(c.status) for c in cases))
        return entry[1]

    def cite(self, source: Source) -> str:
        entry = self._by_object.get(id(source))
        if entry is None:
            entry = self._by_object[id(source)] = (source, source.cite())
        return entry[1]

    def names(self, node: ex.Node) -> frozenset[str]:
        key = ("names", id(node))
        entry = self._by_object.get(key)
        if entry is None:
            entry = self._by_object[key] = (node, frozenset(ex.names(node)))
        return entry[1]

    def expressions(self, item: Any) -> list[ex.Node]:
        """Every expression of a rule object (derived fact, indicator), as AST nodes."""
        key = ("exprs", id(item))
        entry = self._by_object.get(key)  # type: ignore[call-overload]
        if entry is None:
            entry = self._by_object[key] = (item, [e.ast for e in expressions_of(item)])  # type: ignore[index]
        return entry[1]

    def leaf_reads(self, node: ex.Node) -> list[str]:
        """The facts a condition shows: every name it reads but parameters and the as-of date."""
        entry = self._by_object.get(id(node))
        if entry is None:
            entry = self._by_object[id(node)] = (node, sorted(ex.names(node) - self.pack.parameters.keys() - {"as_of"}))
        return entry[1]

    def indicator_reads(self, ind: Indicator) -> list[str]:
        """The facts an indicator shows: every name its expressions read but parameters."""
        entry = self._by_object.get(id(ind))
        if entry is None:
            read = sorted(dependencies(ind))
            entry = self._by_object[id(ind)] = (ind, [n for n in read if n not in self.pack.parameters])
        return entry[1]


def prepared(pack: RulePack) -> Prepared:
    found = pack.memo.get(Prepared)
    if found is None:
        found = pack.memo[Prepared] = Prepared(pack)
    return found


class Evaluation:
    """One profile at one date against one pack; facts are computed once, in dependency order."""

    quiet = False  # True: a failing rule is not logged or counted (the reload canary reports it itself)

    def __init__(
        self, profile: EnterpriseProfile, pack: RulePack, as_of: date, seeded: Mapping[str, Any] | None = None
    ) -> None:
        """`seeded`: a status-only run's values of the same profile and date (engine.evaluate.summary), taken
        instead of reading the profile's fields again; the caller supplies what settles each unknown."""
        self.profile, self.pack, self.as_of = profile, pack, as_of
        self.values: dict[str, Any] = {"as_of": as_of}
        self.missing: dict[str, set[str]] = {}
        self.scorecards: dict[str, ScorecardResult] = {}
        self.decisions: dict[str, Decision] = {}
        self.pending: dict[str, Words] = {}  # fact -> why it is open although no field is missing
        self.prov: dict[str, frozenset[pv.Key]] = {}  # fact -> the assumed values it rested on
        self.errors: dict[str, str] = {}  # rule id -> why it could not be computed for this profile
        self.failures: dict[str, str] = {}  # the same, for the rules that failed themselves (not by reading one)
        given, values = vars(profile), self.values
        for name in FIELDS if seeded is None else ():
            value = given[name]
            if value is None:
                values[name] = None
                self.missing[name] = {name}
            else:
                values[name] = value.value if isinstance(value, Enum) else value  # a level as its code
        self.prepared = prepared(pack)
        self.dated = self.prepared.on(as_of)
        self.values.update(self.dated.values)
        if seeded is not None:
            self.values.update(seeded)

    # --- names --------------------------------------------------------------
    def unit(self, name: str) -> str | None:
        return self.pack.unit(name)

    # --- expressions --------------------------------------------------------
    def eval(self, node: ex.Node, missing: set[str]) -> Any:
        """Value of an expression (None = unknown); adds to `missing` the fields that would settle it. Computed by
        the expression's closures (engine/evaluate/closures.py, compiled once per pack and date)."""
        return self.computed(self.dated.closures(node), missing)

    def computed(self, part: Compiled, missing: set[str]) -> Any:
        """eval() of a compiled expression."""
        value = part.value(self.values)
        if value is None:
            settles = Missing(self.values)
            settles.of = self.missing
            missing |= part.miss(self.values, settles)
        return value

    def value(self, node: ex.Node) -> Any:
        """eval() where the facts that would settle it are not wanted: they are not worked out."""
        return self.dated.closures(node).value(self.values)

    def truth(self, node: ex.Node) -> tuple[bool | None, set[str]]:
        missing: set[str] = set()
        return sem.truth(self.eval(node, missing)), missing

    def hits(self, cases: list[Any]) -> list[bool | None]:
        """The truth of every case's condition: all of them, as the batch does, so a failing rule fails for
        every firm. Computed once for the value and the provenance alike."""
        return [sem.truth(self.value(case.when.ast)) for case in cases]

    def first_open(self, cases: list[Any], hits: list[bool | None], missing: set[str]) -> tuple[Any, bool]:
        """(the first case whose condition holds, None if none does; False if one before it is unknown).
        `missing` gets what would settle the unknown one, worked out for that one only."""
        for case, hit in zip(cases, hits):
            if hit is None:
                missing |= self.truth(case.when.ast)[1]
                return None, False
            if hit:
                return case, True
        return None, True

    # --- facts --------------------------------------------------------------
    def run(self, targets: Collection[str] | None = None) -> Assessment:
        """The assessment; with `targets`, only those ids and what they depend on are evaluated
        (what-if probes need one score or one decision), each exactly as in a full run."""
        for ident in self.pack.order if targets is None else self.prepared.cone(targets):
            broken = dependencies_of(self.pack, ident) & self.errors.keys() if self.errors else set()
            try:
                if broken:
                    raise RuleRuntimeError(self.errors[min(broken)])
                if ident in self.pack.derived:
                    self.derive(self.pack.derived[ident])
                elif ident in self.pack.scorecards:
                    self.score(self.pack.scorecards[ident])
                else:
                    self.decide(ident)
            except sem.RULE_FAILURES as e:  # a programming error (NameError…) propagates: it is no decision
                self.fail(ident, e, reported=bool(broken))
        facts = {k: self.values[k] for k in self.pack.derived if k in self.values}
        return Assessment(
            as_of=self.as_of,
            rules_hash=self.pack.hash,
            credit_code=self.profile.credit_code,
            name=self.profile.name,
            decisions=list(self.decisions.values()),
            scorecards=list(self.scorecards.values()),
            facts=facts,
            information=self.prepared.information(self.as_of) if targets is None else [],
        )

    def fail(self, ident: str, error: Exception, reported: bool) -> None:
        """The rule `ident` could not be computed for this profile: unknown value, `error` decision."""
        file, line = self.pack.origin.get(ident, ("?", None))
        message = str(error) if reported else f"{file}:{line or 1} {ident}: {error}"
        if not reported:
            self.failures[ident] = str(error)
        if not reported and not self.quiet:
            RUNTIME_ERRORS[f"{file}:{line or 1}"] += 1
            log.warning("rule %s at %s:%s failed for a profile: %s", ident, file, line or 1, error)
        self.errors[ident] = message
        self.scorecards.pop(ident, None)
        for name in (ident, ident + "_passed"):
            self.values[name] = None
            self.missing[name] = set()
        policy = self.pack.policy_on(ident, self.as_of) if ident in self.pack.policies else None
        if policy is not None:
            self.decisions[ident] = self.error_decision(policy, message)

    def error_decision(self, policy: Policy, message: str) -> Decision:
        words = Words(
            zh=f"规则计算出错，无法判定，请联系规则维护人员（{message}）",
            en=f"a rule could not be computed; not decided, please tell the rule authors ({message})",
        )
        root = ConditionResult(
            id=policy.conditions.id or "conditions", text=words, status="unknown", children=[], values={}
        )
        return Decision(
            id=policy.id,
            kind=policy.kind,
            title=self.prepared.words(policy.title),
            citation=self.prepared.cite(policy.source),
            quote=policy.source.quote,
            in_force=(policy.valid_from, policy.valid_to),
            rule_status=policy.status,
            status="error",
            reasons=words,
            conditions=root,
        )

    def set_fact(self, ident: str, value: Any, missing: set[str]) -> None:
        self.values[ident] = value
        if value is None:
            self.missing[ident] = missing

    def reads(self, node: ex.Node) -> set[pv.Key]:
        """The assumptions an expression rests on: assumed parameters it reads, and those of the facts it reads."""
        return self._rested(*self.dated.reading(node, lambda: self.prepared.names(node)))

    def reads_all(self, item: Any) -> set[pv.Key]:
        """reads() of every expression of a rule object (derived fact, indicator)."""
        return self._rested(*self.dated.reading_all(item))

    def _rested(self, assumed: frozenset[pv.Key], facts: tuple[str, ...]) -> set[pv.Key]:
        keys = set(assumed)
        for name in facts:
            found = self.prov.get(name)
            if found:
                keys |= found
        return keys

    def derive(self, rule: Derived) -> None:
        missing: set[str] = set()
        keys = {("derived", rule.id)} if pv.unconfirmed(rule.status) else set()
        if rule.formula is not None:
            value = self.eval(rule.formula.ast, missing)
        elif rule.brackets is not None:
            of = self.eval(rule.brackets.of.ast, missing)
            ranged, assumed = self.prepared.table(rule.brackets)
            value = ranged(of)[0]
            if assumed:
                keys |= pv.bracket_keys(rule.id, rule.brackets, of)
        elif rule.lookup is not None:
            key = self.eval(rule.lookup.key.ast, missing)
            value = lookup_result(rule, key)
            pos = sem.lookup_row(rule.lookup, key)
            if pos is not None and pv.unconfirmed(rule.lookup.table[pos].status):
                keys.add(("lookup", rule.id, str(pos)))
            if pos is not None and (reason := rule.lookup.table[pos].reason) is not None:
                self.pending[rule.id] = made(Words, zh=reason.zh, en=reason.en)
        else:
            hits = self.hits(rule.cases or [])
            case = self.first_open(rule.cases or [], hits, missing)[0]
            value = None if case is None else case.value
            if rule.cases:
                keys |= self.case_keys(rule.id, rule.cases, hits)
        if hasattr(self, "prov"):  # a bare Evaluation (interview.py's tier probe) derives values only
            self.prov[rule.id] = frozenset(keys | self.reads_all(rule))
            if value is None and not missing:
                self.inherit_pending(rule.id)
        self.set_fact(rule.id, value, missing)

    def inherit_pending(self, ident: str) -> None:
        """A fact open with no field missing is open for the known reasons of the facts it reads."""
        found = [self.pending[d] for d in sorted(dependencies_of(self.pack, ident)) if d in self.pending]
        if found and ident not in self.pending:
            self.pending[ident] = made(Words, zh="；".join(w.zh for w in found), en="; ".join(w.en for w in found))

    def case_keys(self, owner: str, cases: list[Any], hits: list[bool | None]) -> set[pv.Key]:
        """The assumed case that decided, if one did (provenance.first_case); `hits` as self.hits(cases)."""
        if not self.prepared.assumed_cases(cases):
            return set()
        pos = pv.first_case(hits)
        return set() if pos is None or not pv.unconfirmed(cases[pos].status) else {("case", owner, str(pos))}

    # --- scorecards ---------------------------------------------------------
    def score(self, card: Scorecard) -> None:
        self._stakes: list[tuple[int, set[pv.Key], float]] = []  # (group, keys, points at stake) per indicator
        groups = [self.score_group(g, card.id, n) for n, g in enumerate(card.groups)]
        low, high = sum(g.low for g in groups), sum(g.high for g in groups)
        total = sum(g.points for g in groups) if all(g.points is not None for g in groups) else None  # type: ignore[misc]
        by_score: bool | None = True
        if card.pass_at is not None:
            by_score = self._passes(low, high, card.pass_at)
        for g in groups:
            if g.min is not None and by_score is not False:
                group_ok = self._passes(g.low, g.high, g.min)
                by_score = False if group_ok is False else (None if group_ok is None else by_score)
        routes = []
        for route in card.direct_routes:
            hit, why = self.truth(route.when.ast)
            routes.append(
                made(
                    RouteResult,
                    id=route.id,
                    label=self.prepared.words(route.label),
                    status=status_of(hit),
                    missing=sorted(why) if hit is None else [],
                )
            )
        passed = self._any([by_score, *[{"met": True, "unmet": False}.get(r.status) for r in routes]])
        total_keys, passed_keys = self.card_provenance(card, groups, routes, by_score, passed)
        unscored = {m for g in groups for i in g.indicators for m in i.missing}
        missing = unscored.union(*(set(r.missing) for r in routes))
        # awaiting the experts only: every fact a firm can give known, the verdict open within the judged
        # ranges and the experts' own scores (EXPERT_JUDGED facts, never the firm's to give)
        judged = (
            [
                i
                for g in groups
                for i in g.indicators
                if i.judged or (i.missing and not any(map(asked_of_firm, i.missing)))
            ]
            if passed is None and not any(map(asked_of_firm, missing))
            else []
        )
        need = None if not judged or card.pass_at is None else card.pass_at - low
        result = made(  # the engine's own values, floats as float (engine.model.results.made)
            ScorecardResult,
            id=card.id,
            label=self.prepared.words(card.label),
            source=card.source.cite(),
            total=_float(total),
            low=float(low),
            high=float(high),
            pass_at=_float(card.pass_at),
            passed=passed,
            groups=groups,
            routes=routes,
            missing=sorted(missing) if passed is None else [],
            judged=[i.id for i in judged],
            assumptions=self.dated.described(total_keys),
            passed_assumptions=self.dated.described(passed_keys),
            expert_need=_float(need),
        )
        if judged:
            self.pending[card.id + "_passed"] = judged_words(result, judged)
        self.scorecards[card.id] = result
        self.set_fact(card.id, total, unscored)  # the total does not depend on the direct routes
        self.set_fact(card.id + "_passed", passed, missing)

    def card_provenance(
        self,
        card: Scorecard,
        groups: list[GroupResult],
        routes: list[RouteResult],
        by_score: bool | None,
        passed: bool | None,
    ) -> tuple[frozenset[pv.Key], frozenset[pv.Key]]:
        """What the total and the verdict rested on (see engine/evaluate/provenance.py)."""
        own = {("scorecard", card.id)} if pv.unconfirmed(card.status_on(self.as_of)) else set()
        total = own.union(*(keys for _, keys, _ in self._stakes))
        stake = sum(st for _, _, st in self._stakes)
        group_stake = [sum(st for g, _, st in self._stakes if g == n) for n in range(len(groups))]
        certain = by_score is not None and pv.score_certain(
            by_score,
            [(g.low, g.high, g.min, st) for g, st in zip(groups, group_stake)],
            sum(g.low for g in groups),
            sum(g.high for g in groups),
            card.pass_at,
            stake,
        )
        by_score_keys = own if certain else total
        route_keys = [
            ({("route", card.id, r.id)} if pv.unconfirmed(rule.status) else set()) | self.reads(rule.when.ast)
            for r, rule in zip(routes, card.direct_routes)
        ]
        if passed:
            paths = ([by_score_keys] if by_score else []) + [k for k, r in zip(route_keys, routes) if r.status == "met"]
            verdict = min(paths, key=len)
        else:
            verdict = by_score_keys.union(*route_keys)
        self.prov[card.id] = frozenset(total)
        self.prov[card.id + "_passed"] = frozenset(own | verdict)
        return self.prov[card.id], self.prov[card.id + "_passed"]

    @staticmethod
    def _passes(low: float, high: float, need: float) -> bool | None:
        return True if low >= need else (False if high < need else None)

    @staticmethod
    def _any(values: list[bool | None]) -> bool | None:
        return True if True in values else (None if None in values else False)

    def score_group(self, group: Any, card_id: str = "", position: int = 0) -> GroupResult:
        indicators = [self.score_indicator(i, card_id, position) for i in group.indicators]
        low = min(sum(i.low for i in indicators), group.max)
        high = min(sum(i.high for i in indicators), group.max)
        points = low if all(i.points is not None for i in indicators) else None
        return made(
            GroupResult,
            id=group.id,
            label=self.prepared.words(group.label),
            points=_float(points),
            low=float(low),
            high=float(high),
            max=float(group.max),
            min=_float(group.min),
            indicators=indicators,
        )

    def score_indicator(self, ind: Indicator, card_id: str = "", group: int = 0) -> IndicatorResult:
        plan = self.dated.scored(ind, card_id)
        missing: set[str] = set()
        hits = self.hits(ind.cases) if ind.cases is not None else []
        low, high = self.indicator_points(ind, missing, hits)
        if card_id:
            keys = self._rested(plan.assumed, plan.facts)
            for owner, table, of in plan.tables:
                keys |= pv.bracket_keys(owner, table, of.value(self.values))
            if plan.cases is not None:
                keys |= self.case_keys(plan.cases, ind.cases, hits)  # type: ignore[arg-type]
            self._stakes.append((group, keys, pv.indicator_stake(ind, keys)))
        top = plan.top
        clip = lambda v: max(0.0, min(float(v), top))  # noqa: E731
        known = low is not None
        low, high = (clip(low), clip(high)) if known else (0.0, top)
        values = self.values
        return made(
            IndicatorResult,
            id=ind.id,
            label=plan.label,
            points=low if known and low == high else None,
            max=top,
            low=low,
            high=high,
            judged=known and low != high,
            values={n: values.get(n) for n in plan.reads},
            missing=[] if known else sorted(missing),
            source=plan.source,
            rule_status=ind.status,
        )

    def indicator_points(self, ind: Indicator, missing: set[str], hits: list[bool | None]) -> tuple[Any, Any]:
        """(bottom, top) of the points; equal unless an expert-judged range; (None, None) while unknown.
        `hits`: self.hits(ind.cases) for an indicator scored by cases."""
        if ind.brackets is not None:
            return self.prepared.table(ind.brackets)[0](self.eval(ind.brackets.of.ast, missing))
        if ind.best_of is not None:
            found = [self.prepared.table(t)[0](self.eval(t.of.ast, missing)) for t in ind.best_of]
            known = [(lo or 0, hi or 0) for lo, hi in found if lo is not None] or [(0, 0)]
            best = (max(lo for lo, _ in known), max(hi for _, hi in known))
            return best if all(lo is not None for lo, _ in found) or best[0] >= ind.max else (None, None)
        if ind.formula is not None:
            value = self.eval(ind.formula.ast, missing)
            return value, value
        if ind.cases is not None:
            case, known = self.first_open(ind.cases, hits, missing)
            if not known:
                return None, None
            if case is not None:
                return case.points, case.top()
            return ind.otherwise or 0, ind.otherwise or 0
        earned, top, unknown = 0.0, 0.0, False
        for item in ind.items or []:
            hit, why = self.truth(item.when.ast)
            if hit is None:
                unknown = True
                missing |= why
            elif hit:
                earned, top = earned + item.points, top + item.top()
        if unknown and earned < ind.max:
            return None, None
        missing.clear()
        return earned, top

    # --- policies -----------------------------------------------------------
    def decide(self, ident: str) -> None:
        policy = self.pack.policy_on(ident, self.as_of)
        if policy is None:
            self.set_fact(ident, False, set())
            return
        result = self.check(self.prepared.tree(policy))
        value = {"met": True, "unmet": False, "unknown": None}[result.status]
        own = {("policy", ident)} if pv.unconfirmed(policy.status) else set()
        self.prov[ident] = frozenset(own | self.relied(ident, policy.conditions, result))
        self.set_fact(ident, value, set(result.missing))
        self.decisions[ident] = self.decision(policy, result)
        if value is None and not result.missing:
            open_ = [leaf.would_take for leaf in deciding_leaves(result) if leaf.status == "unknown"]
            if open_ and all(open_):  # open for a known reason: the policies reading this one say it too
                self.pending[ident] = made(Words, zh="；".join(w.zh for w in open_), en="; ".join(w.en for w in open_))

    def relied(self, ident: str, cond: Condition, result: ConditionResult) -> set[pv.Key]:
        """Assumptions on the deciding path of a condition tree (provenance.py says which children count)."""
        keys = {("condition", ident, result.id)} if pv.unconfirmed(cond.status) else set()
        if cond.when is not None:
            return keys | self.reads(cond.when.ast)
        for child, res in zip(cond.children(), result.children):
            if cond.not_ is not None or res.status == result.status:
                keys |= self.relied(ident, child, res)
        return keys

    def check(self, shape: Shape) -> ConditionResult:
        if shape.combinator is None:
            return self.check_leaf(shape.cond, shape.id)
        kids = [self.check(k) for k in shape.kids]
        combinator = shape.combinator
        if combinator == "not":
            found = sem.invert(sem.truth_of(kids[0].status))
        else:
            found = sem.junction([sem.truth_of(k.status) for k in kids], want=combinator == "any")
        status = sem.status_of(found)
        missing = (
            sorted(set().union(*(k.missing for k in kids if k.status == "unknown"))) if status == "unknown" else []
        )
        return made(
            ConditionResult,  # every field, in declared order (made's fast path)
            id=shape.id,
            combinator=combinator,
            label=shape.label,
            expression=None,
            text=shape.label or COMBINATOR_WORDS[combinator],
            status=status,
            values={},
            threshold=None,
            threshold_source=None,
            gap=None,
            would_take=None,
            missing=missing,
            source=shape.source,
            rule_status=shape.cond.status,
            children=kids,
        )

    def check_leaf(self, cond: Condition, ident: str) -> ConditionResult:
        leaf = self.dated.leaf(cond)
        why: set[str] = set()
        hit = sem.truth(self.computed(leaf.test, why))
        status = status_of(hit)
        reads, text, values = leaf.reads, leaf.text, self.values
        threshold = threshold_source = gap = would_take = None
        if leaf.gauge is not None:
            text, threshold, threshold_source, gap, would_take = self.measure_gap(leaf.gauge, status, text)
        open_ = [self.pending[n] for n in reads if n in self.pending] if hit is None else []
        if open_:
            would_take = made(Words, zh="；".join(w.zh for w in open_), en="; ".join(w.en for w in open_))
            text = made(
                Words,
                zh=with_reason(text.zh, would_take.zh, "zh"),
                en=with_reason(text.en, would_take.en, "en"),
            )
        return made(
            ConditionResult,  # every field, in declared order (made's fast path)
            id=ident,
            combinator=None,
            label=leaf.label,
            expression=leaf.expression,
            text=text,
            status=status,
            values={n: v.isoformat() if isinstance(v := values.get(n), date) else v for n in reads},  # dates as text
            threshold=threshold,
            threshold_source=threshold_source,
            gap=gap,
            would_take=would_take,
            missing=sorted(why) if hit is None else [],
            source=leaf.source,
            rule_status=cond.status,
            children=[],
        )

    def measure_gap(
        self, gauge: Gauge, status: Check, text: Words
    ) -> tuple[Words, Any, str | None, float | None, Words | None]:
        """For a comparison against a threshold: (its text with the values, the threshold, the threshold's
        citation, the gap, what it would take)."""
        actual, threshold = gauge.left.value(self.values), gauge.right.value(self.values)
        source = gauge.source
        shown = threshold.isoformat() if isinstance(threshold, date) else threshold
        numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (actual, threshold))
        if not numeric or status == "unknown":  # an unknown leaf shows its own text
            return text, shown, source, None, None
        subject, op, show = gauge.subject, gauge.node.op, gauge.show
        need_zh, need_en = gauge.said(threshold)
        base_zh = f"{subject.zh}为 {show(actual)}，需 {gauge.sign} {need_zh}"
        base_en = f"{subject.en} is {show(actual, 'en')}; needs {gauge.sign} {need_en}"
        if status != "unmet" or op in ("==", "!="):
            return (made(Words, zh=base_zh, en=base_en) if status == "met" else text), shown, source, None, None
        gap = abs(threshold - actual)
        more = op in (">", ">=")
        text = made(
            Words,
            zh=f"{base_zh}，{'还差' if more else '超出'} {show(gap)}",
            en=f"{base_en}, {'short by' if more else 'over by'} {show(gap, 'en')}",
        )
        return text, shown, source, float(gap), self.would_take(gauge, actual, threshold, more)

    def would_take(self, gauge: Gauge, actual: float, threshold: float, more: bool) -> Words:
        node = gauge.node
        strict = node.op in (">", "<")
        left = node.left
        if isinstance(left, ex.BinOp) and left.op == "/" and isinstance(left.left, ex.Name):
            denominator = self.value(left.right)
            if isinstance(denominator, (int, float)) and denominator:
                target = threshold * denominator
                zh, en = self.pack.label(left.left.name)
                unit = self._unit_of(left.left)
                verb_zh, verb_en = ("提高到", "raise to") if more else ("降低到", "lower to")
                bound = ("超过" if strict else "不少于") if more else ("低于" if strict else "不超过")
                return made(
                    Words,
                    zh=f"将{zh}{verb_zh}{bound} {fmt_value(target, unit)}（当前 {fmt_value(self.value(left.left), unit)}）",
                    en=f"{verb_en} {en} to {'over' if strict and more else 'under' if strict else 'at least' if more else 'at most'} "
                    f"{fmt_value(target, unit, 'en')}",
                )
        need_zh, need_en = gauge.said(threshold)
        word_zh = {">": "超过", ">=": "达到", "<": "低于", "<=": "不超过"}[node.op]
        word_en = {">": "above", ">=": "at least", "<": "below", "<=": "at most"}[node.op]
        return made(
            Words, zh=f"{gauge.subject.zh}需{word_zh} {need_zh}", en=f"{gauge.subject.en} must be {word_en} {need_en}"
        )

    def _unit_of(self, node: ex.Node) -> str | None:
        return expression_unit(node, self.unit)

    def decision(self, policy: Policy, result: ConditionResult) -> Decision:
        status = {"met": "eligible", "unmet": "ineligible", "unknown": "undetermined"}[result.status]
        keys = self.prov[policy.id]
        benefits = (
            [self.benefit(b, policy.id, n, keys) for n, b in enumerate(policy.benefits)] if status == "eligible" else []
        )
        return made(
            Decision,
            id=policy.id,
            kind=policy.kind,
            title=self.prepared.words(policy.title),
            citation=self.prepared.cite(policy.source),
            quote=policy.source.quote,
            in_force=(policy.valid_from, policy.valid_to),
            rule_status=policy.status,
            status=status,
            missing=list(result.missing),
            reasons=reasons(result),  # type: ignore[arg-type]
            conditions=result,
            benefits=benefits,
            grants=list(policy.grants) if status == "eligible" else [],
            assumptions=self.dated.described(keys),
        )

    def benefit(self, benefit: Any, policy_id: str, position: int, decided: frozenset[pv.Key]) -> BenefitResult:
        amount = None
        if benefit.amount is not None:
            amount = self.eval(benefit.amount.ast, set())
            if amount is not None and benefit.cap is not None:
                amount = min(amount, benefit.cap)
        keys = set(decided) | ({("benefit", policy_id, str(position))} if pv.unconfirmed(benefit.status) else set())
        up_to = None if benefit.up_to is None else self.eval(benefit.up_to.ast, set())
        for expr in (benefit.amount, benefit.up_to):
            if expr is not None:
                keys |= self.reads(expr.ast)
        return made(
            BenefitResult,
            kind=benefit.kind,
            text=self.prepared.words(benefit.text),
            amount=_float(amount),
            cap=_float(benefit.cap),
            up_to=_float(up_to),
            rule_status=benefit.status,
            assumptions=self.dated.described(keys),
        )


def _float(value: Any) -> float | None:
    """A number as a float field holds it (validation would convert it), None as None."""
    return None if value is None else float(value)


def information(pack: RulePack, as_of: date) -> list[InformationEntry]:
    """The 可咨询 entries in force on `as_of` (the same for every firm)."""
    return [
        InformationEntry(
            id=e.id,
            title=Words(zh=e.title.zh, en=e.title.en),
            citation=e.source.cite(),
            quote=e.source.quote,
            offers=Words(zh=e.offers.zh, en=e.offers.en),
            ask=Words(zh=e.ask.zh, en=e.ask.en),
            rule_status=e.status,
        )
        for e in pack.information.values()
        if e.in_force(as_of)
    ]


def reasons(result: ConditionResult) -> Words:
    """The deciding leaves in one line: unmet ones for a refusal, unknown ones for a pending decision."""
    return reasons_of(result.status, [leaf for leaf in deciding_leaves(result) if leaf.status == result.status])


def reasons_of(status: Check, leaves: list[ConditionResult]) -> Words:
    """The one line of a decision in `status` from its deciding leaves in that status (engine.evaluate.summary
    builds only those leaves)."""
    if status == "unknown":
        fields = sorted({m for leaf in leaves for m in leaf.missing})
        if not fields and leaves and all(leaf.would_take for leaf in leaves):  # open for a known reason
            return made(
                Words, zh="；".join(leaf.text.zh for leaf in leaves), en="; ".join(leaf.text.en for leaf in leaves)
            )
        if not fields:  # e.g. an industry whose SME size rules are not encoded
            return made(
                Words,
                zh="无法判定：所需情形未被现有规则覆盖（" + "；".join(leaf.text.zh for leaf in leaves) + "）",
                en="cannot decide: the case is not covered by the encoded rules ("
                + "; ".join(leaf.text.en for leaf in leaves)
                + ")",
            )
        return missing_words(fields)
    return made(Words, zh="；".join(leaf.text.zh for leaf in leaves), en="; ".join(leaf.text.en for leaf in leaves))


def judged_words(card: ScorecardResult, judged: list[IndicatorResult]) -> Words:
    """Why a scorecard is open with every fact known: the expert-judged ranges and what they must add."""
    items_zh = "、".join(f"{i.label.zh}（{fmt_number(i.low)}–{fmt_number(i.high)} 分）" for i in judged)
    items_en = ", ".join(f"{i.label.en} ({fmt_number(i.low)}-{fmt_number(i.high)})" for i in judged)
    span = f"{fmt_number(card.low)}–{fmt_number(card.high)}"
    need = fmt_number(card.expert_need) if card.expert_need is not None else "?"
    return made(
        Words,
        zh=f"待专家评分：{items_zh}；总分 {span} 分，需 ≥ {fmt_number(card.pass_at)}，"
        f"专家评分部分需在各区间下限之上再得 {need} 分",
        en=f"awaiting the experts' scores: {items_en}; total {span}, needs ≥ {fmt_number(card.pass_at)}: "
        f"the judged items must add {need} above the bottoms of their ranges",
    )


def missing_words(fields: list[str]) -> Words:
    """The reason of a pending decision: the facts that would settle it."""
    return made(
        Words,
        zh="缺少信息：" + "、".join(label_zh(f) if f in FIELDS else f for f in fields),
        en="missing facts: " + ", ".join(label(f, "en") if f in FIELDS else f for f in fields),
    )


def deciding_leaves(result: ConditionResult) -> list[ConditionResult]:
    if not result.children:
        return [result]
    if result.combinator == "not":
        return deciding_leaves(result.children[0])
    return [
        leaf
        for child in result.children
        if child.status == result.status or result.combinator == "all"
        for leaf in deciding_leaves(child)
    ]


def evaluate(profile: EnterpriseProfile, pack: RulePack, as_of: date | None = None) -> Assessment:
    """Evaluate every designation, scorecard and policy of `pack` for `profile` on `as_of`."""
    return Evaluation(profile, pack, as_of or date.today()).run()
