"""Decision 0005's spike: the two policies bench/single.py models (中小企业划型 and the 专精特新 conditions) compiled
once to one Polars plan, against the batch evaluator (engine/batch/vectorized.py) on the same prepared chunks.

    python bench/polars_spike.py [--source applicants.csv | --n 300000] [--repeat 3]

Polars is not a dependency of ipcheck: `pip install polars` first (this script is a measurement for the team's
decision, not a path of the product). Prints, per chunk, the CPU and wall seconds of each evaluator (the minimum
of --repeat), the columns' conversion to Polars (which a Polars design would make while reading), and how many
rows agree on the size class and the 专精特新 status (the batch evaluator is the reference, itself held to the
single-profile evaluator by tests/test_batch_differential.py).

The plan is written from the rule pack for one as-of date, as bench/zen_model.py writes its JDM model: unknown
is null throughout (Polars' `&` and `|` are Kleene's: false & null is false, true | null is true), comparisons
and arithmetic are null when an operand is, division by zero is null, titles are lists of {title, rank, from, to}.
"""

from __future__ import annotations

import argparse
import functools
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))  # bench/zen_model.py: the same two policies, the same day numbers

import polars as pl  # noqa: E402  (the spike's peer; see the docstring)
from zen_model import TARGETS, day  # noqa: E402

from engine.batch.tabular import ChunkReader, read_chunks  # noqa: E402
from engine.batch.vectorized import BatchEvaluation, Vec  # noqa: E402
from engine.evaluate.evaluator import prepared  # noqa: E402
from engine.language import expr as ex  # noqa: E402
from engine.language.loader import RulePack, load_pack  # noqa: E402
from engine.language.rules import BracketTable, Condition, Derived, Indicator, Scorecard  # noqa: E402
from engine.language.semantics import BOUND, COMPARE  # noqa: E402
from engine.model.profile import FIELDS, LEVEL_RANK, Level  # noqa: E402

AS_OF = date(2025, 6, 30)
NULL = pl.lit(None)


class Plan:
    """Polars expressions of the targets' cone on one date, as columns added in dependency order: every derived
    fact, indicator and scorecard figure is a column of its own, read by name (inlining them made a tree that
    repeats each shared part wherever it is read, 26x slower than the batch evaluator)."""

    def __init__(self, pack: RulePack, as_of: date) -> None:
        self.pack, self.as_of = pack, as_of
        self.params = {
            k: (v.version_on(as_of).value if v.version_on(as_of) else None) for k, v in pack.parameters.items()
        }  # type: ignore[union-attr]
        self.facts: dict[str, pl.Expr] = {}
        self.fields: set[str] = set()
        self.stages: list[tuple[str, pl.Expr]] = []
        for ident in prepared(pack).cone(TARGETS):
            if ident in pack.derived:
                self.facts[ident] = self.put(ident, self.derived(pack.derived[ident]))
            elif ident in pack.scorecards:
                self.scorecard(pack.scorecards[ident])
            else:
                policy = pack.policy_on(ident, as_of)
                self.facts[ident] = self.put(ident, self.condition(policy.conditions) if policy else pl.lit(False))
        self.decides = pack.policy_on("specialized_sme", as_of) is not None

    def put(self, name: str, value: pl.Expr) -> pl.Expr:
        self.stages.append((name, value))
        return pl.col(name)

    def query(self, frame: pl.LazyFrame) -> pl.LazyFrame:
        for name, value in self.stages:
            frame = frame.with_columns(value.alias(name))
        return frame.select(self.outputs())

    def outputs(self) -> list[pl.Expr]:
        status = (
            pl.when(self.facts["specialized_sme"].is_null())
            .then(pl.lit("undetermined"))
            .when(self.facts["specialized_sme"])
            .then(pl.lit("eligible"))
            .otherwise(pl.lit("ineligible"))
        )
        return [self.facts["enterprise_size"].alias("enterprise_size"), status.alias("specialized_sme")]

    # --- expressions ------------------------------------------------------------
    def expr(self, node: ex.Node) -> pl.Expr:
        if isinstance(node, ex.DateLit):
            return pl.lit(day(node.value))
        if isinstance(node, (ex.Num, ex.Str, ex.Bool)):
            return pl.lit(node.value)
        if isinstance(node, ex.Name):
            if node.name == "as_of":
                return pl.lit(day(self.as_of))
            if node.name in self.params:
                value = self.params[node.name]
                return pl.lit(day(value) if isinstance(value, date) else value)
            if node.name in FIELDS:
                self.fields.add(node.name)
                return pl.col(node.name)
            return self.facts[node.name]
        if isinstance(node, ex.And):
            return functools.reduce(lambda a, b: a & b, [self.expr(o) for o in node.operands])
        if isinstance(node, ex.Or):
            return functools.reduce(lambda a, b: a | b, [self.expr(o) for o in node.operands])
        if isinstance(node, ex.Not):
            return ~self.expr(node.operand)
        if isinstance(node, ex.Neg):
            return -self.expr(node.operand)
        if isinstance(node, ex.Compare):
            return COMPARE[node.op](self.expr(node.left), self.expr(node.right))
        if isinstance(node, ex.BinOp):
            a, b = self.expr(node.left), self.expr(node.right)
            if node.op == "/":
                return pl.when(b == 0).then(NULL).otherwise(a / b)
            return {"+": a + b, "-": a - b, "*": a * b}[node.op]
        if isinstance(node, ex.Call):
            return self.call(node)
        raise TypeError(node)

    def call(self, node: ex.Call) -> pl.Expr:
        if node.func == "has_title":
            self.fields.add("titles")
            code = node.args[0].value  # type: ignore[union-attr]
            rank = LEVEL_RANK[Level(node.args[1].value)] if len(node.args) > 1 else 0  # type: ignore[union-attr]
            today, title = day(self.as_of), pl.element().struct.field
            test = (
                (title("title") == code)
                & (title("from").is_null() | (title("from") <= today))
                & (title("to").is_null() | (title("to") >= today))
            )
            if rank:
                test = test & (title("rank") >= rank)
            return pl.col("titles").list.eval(test).list.any()
        subject, options = self.expr(node.args[0]), []
        for arg in node.args[1:]:  # literals, or parameters holding one or a list
            value = self.params[arg.name] if isinstance(arg, ex.Name) else arg.value  # type: ignore[attr-defined]
            options += list(value) if isinstance(value, (list, tuple)) else [value]
        if node.func == "starts_with":
            hit = functools.reduce(lambda a, b: a | b, [subject.str.starts_with(o) for o in options])
        elif node.func == "one_of":
            hit = subject.is_in(options)
        else:
            raise NotImplementedError(node.func)  # not in the two policies' cone
        return pl.when(subject.is_null()).then(NULL).otherwise(hit)

    # --- rules --------------------------------------------------------------------
    def table(self, table: BracketTable) -> pl.Expr:
        of = self.expr(table.of.ast)
        chain: Any = pl.when(of.is_null()).then(NULL)
        for row in table.rows:
            tests = [COMPARE[BOUND[op]](of, pl.lit(bound)) for op, bound in row.bounds()]
            chain = chain.when(functools.reduce(lambda a, b: a & b, tests) if tests else pl.lit(True)).then(
                pl.lit(row.result())
            )
        return chain.otherwise(pl.lit(table.otherwise))

    def first_case(self, cases: list[tuple[pl.Expr, Any]], otherwise: Any) -> pl.Expr:
        chain: Any = pl
        for test, value in cases:
            chain = chain.when(test.is_null()).then(NULL).when(test).then(pl.lit(value))
        return chain.otherwise(pl.lit(otherwise)) if cases else pl.lit(otherwise)

    def derived(self, rule: Derived) -> pl.Expr:
        if rule.formula is not None:
            return self.expr(rule.formula.ast)
        if rule.brackets is not None:
            return self.table(rule.brackets)
        if rule.lookup is not None:
            assert rule.lookup.match == "prefix", "only prefix lookups are modelled"
            key = self.expr(rule.lookup.key.ast)
            keys = sorted(((k, row.value) for row in rule.lookup.table for k in row.keys), key=lambda kv: -len(kv[0]))
            chain: Any = pl.when(key.is_null()).then(NULL)
            for k, v in keys:
                chain = chain.when(key.str.starts_with(k)).then(pl.lit(v))
            return chain.otherwise(pl.lit(rule.lookup.default))
        return self.first_case([(self.expr(c.when.ast), c.value) for c in rule.cases or []], None)

    def indicator(self, ind: Indicator) -> pl.Expr:
        if ind.brackets is not None:
            raw = self.table(ind.brackets)
        elif ind.best_of is not None:
            found = [self.table(t) for t in ind.best_of]
            best = pl.max_horizontal([f.fill_null(0) for f in found])
            known = functools.reduce(lambda a, b: a & b, [f.is_not_null() for f in found])
            raw = pl.when(known | (best >= ind.max)).then(best).otherwise(NULL)
        elif ind.formula is not None:
            raw = self.expr(ind.formula.ast)
        elif ind.cases is not None:
            raw = self.first_case([(self.expr(c.when.ast), c.points) for c in ind.cases], ind.otherwise or 0)
        else:
            tests = [(self.expr(i.when.ast), i.points) for i in ind.items or []]
            earned = functools.reduce(
                lambda a, b: a + b, [pl.when(t.fill_null(False)).then(p).otherwise(0) for t, p in tests], pl.lit(0)
            )
            unknown = functools.reduce(lambda a, b: a | b, [t.is_null() for t, _ in tests], pl.lit(False))
            raw = pl.when(unknown & (earned < ind.max)).then(NULL).otherwise(earned)
        return raw.cast(pl.Float64).clip(0, ind.max)

    def scorecard(self, card: Scorecard) -> None:
        lows, highs, knowns, verdicts = [], [], [], []
        for group in card.groups:
            points = [(self.put(f"{card.id}.{i.id}", self.indicator(i)), i.max) for i in group.indicators]
            low = pl.min_horizontal(pl.sum_horizontal([p.fill_null(0) for p, _ in points]), pl.lit(group.max))
            high = pl.min_horizontal(pl.sum_horizontal([p.fill_null(top) for p, top in points]), pl.lit(group.max))
            lows.append(self.put(f"{card.id}.{len(lows)}.low", low))
            highs.append(self.put(f"{card.id}.{len(highs)}.high", high))
            low, high = lows[-1], highs[-1]
            knowns.append(functools.reduce(lambda a, b: a & b, [p.is_not_null() for p, _ in points]))
            if group.min is not None:
                verdicts.append(pl.when(low >= group.min).then(True).when(high < group.min).then(False).otherwise(NULL))
        low = self.put(f"{card.id}.low", pl.sum_horizontal(lows))
        high = self.put(f"{card.id}.high", pl.sum_horizontal(highs))
        known = functools.reduce(lambda a, b: a & b, knowns)
        self.facts[card.id] = self.put(card.id, pl.when(known).then(low).otherwise(NULL))
        by_score: pl.Expr = pl.lit(True)
        if card.pass_at is not None:
            by_score = pl.when(low >= card.pass_at).then(True).when(high < card.pass_at).then(False).otherwise(NULL)
        for verdict in verdicts:  # a group minimum can only turn an open or passing score into false / null
            by_score = (
                pl.when(by_score == False)  # noqa: E712
                .then(False)
                .when(verdict == False)  # noqa: E712
                .then(False)
                .when(verdict.is_null())
                .then(NULL)
                .otherwise(by_score)
            )
        routes = [self.expr(r.when.ast) for r in card.direct_routes]
        self.facts[card.id + "_passed"] = self.put(
            card.id + "_passed", functools.reduce(lambda a, b: a | b, [by_score, *routes])
        )

    def condition(self, cond: Condition) -> pl.Expr:
        if cond.when is not None:
            return self.expr(cond.when.ast)
        kids = [self.condition(c) for c in cond.children()]
        if cond.not_ is not None:
            return ~kids[0]
        return functools.reduce((lambda a, b: a | b) if cond.any is not None else (lambda a, b: a & b), kids)


# --- the chunks' columns as Polars reads them ----------------------------------------------------------


def series(name: str, vec: Vec) -> pa.Array:
    known = np.asarray(vec.known, dtype=bool)
    if vec.kind == "titles":
        return titles_array(vec)
    if vec.kind == "str":
        values = np.asarray(vec.value, dtype=object)
        return pa.array(np.where(known, values, None), type=pa.string())
    if vec.kind == "date":
        return pa.array(np.asarray(vec.value, dtype=np.int64), mask=~known)
    if vec.kind == "bool":
        return pa.array(np.asarray(vec.value, dtype=bool), mask=~known)
    return pa.array(np.asarray(vec.value, dtype=np.float64), mask=~known)


TITLE = pa.struct([("title", pa.string()), ("rank", pa.int64()), ("from", pa.int64()), ("to", pa.int64())])


def titles_array(vec: Vec) -> pa.Array:
    """Each row's titles as a list of {title, rank, from, to}, built once per distinct set."""
    codes, sets = vec.factorized()
    lists = [
        None
        if held is None
        else [
            {
                "title": t.title,
                "rank": LEVEL_RANK[t.level] if t.level else 0,
                "from": day(t.valid_from) if t.valid_from else None,
                "to": day(t.valid_to) if t.valid_to else None,
            }
            for t in held
        ]
        for held in sets
    ]
    distinct = pa.array(lists + [None], type=pa.list_(TITLE))
    return distinct.take(pa.array(np.where(codes >= 0, codes, len(lists))))


def frame(columns: dict[str, Vec], fields: set[str]) -> pl.DataFrame:
    return pl.from_arrow(pa.table({name: series(name, columns[name]) for name in sorted(fields) if name in columns}))  # type: ignore[return-value]


# --- the comparison ---------------------------------------------------------------------------------------


def timed(fn: Any, repeat: int) -> tuple[float, float, Any]:
    """(min CPU seconds of the process, min wall seconds, the last result)."""
    cpu, wall, out = [], [], None
    for _ in range(repeat):
        c, w = time.process_time(), time.perf_counter()
        out = fn()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return min(cpu), min(wall), out


STATUS = np.array(["eligible", "undetermined", "ineligible"], dtype=object)  # by state: met, unknown, unmet


def evaluated(pack: RulePack, chunk: Any) -> BatchEvaluation:
    """The batch evaluator over a prepared chunk, the targets' cone only (with its provenance, as a screening)."""
    ev = BatchEvaluation(pack, AS_OF, chunk.columns, chunk.n)
    ev.run(TARGETS)
    return ev


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=300_000)
    parser.add_argument("--source", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    pack = load_pack(ROOT / "rules")
    with tempfile.TemporaryDirectory(prefix="ipcheck-spike-") as tmp:
        source = args.source or Path(tmp) / "applicants.csv"
        if args.source is None:
            command = [sys.executable, "-m", "engine.batch.generate", str(args.n), "-o", str(source), "--seed", "0"]
            subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        chunks = list(read_chunks(source))
    reader = ChunkReader(chunks[0][0])
    prepared_chunks = [reader.prepare(table, 2) for _, table in chunks]
    plan = Plan(pack, AS_OF)
    totals = {"batch": [0.0, 0.0], "polars": [0.0, 0.0], "convert": [0.0, 0.0]}
    rows = agree_size = agree_status = 0
    for chunk in prepared_chunks:
        cpu, wall, ev = timed(lambda c=chunk: evaluated(pack, c), args.repeat)
        totals["batch"][0] += cpu
        totals["batch"][1] += wall
        cpu, wall, df = timed(lambda c=chunk: frame(c.columns, plan.fields), args.repeat)
        totals["convert"][0] += cpu
        totals["convert"][1] += wall
        cpu, wall, out = timed(lambda d=df: plan.query(d.lazy()).collect(), args.repeat)
        totals["polars"][0] += cpu
        totals["polars"][1] += wall
        size = ev.values["enterprise_size"]
        want_size = np.where(np.asarray(size.known), np.asarray(size.value, dtype=object), None)
        want_status = STATUS[ev.result.policies["specialized_sme"].state]
        got_size = np.asarray(out["enterprise_size"].to_list(), dtype=object)
        got_status = np.asarray(out["specialized_sme"].to_list(), dtype=object)
        rows += int(chunk.valid.sum())
        agree_size += int((chunk.valid & (got_size == want_size)).sum())
        agree_status += int((chunk.valid & (got_status == want_status)).sum())
    n = sum(c.n for c in prepared_chunks)
    print(f"{n:,} rows in {len(prepared_chunks)} chunks, {', '.join(TARGETS)}, min of {args.repeat} per chunk:")
    for name, (cpu, wall) in totals.items():
        print(f"  {name:<8} CPU {cpu:6.3f} s  wall {wall:6.3f} s")
    print(
        f"  polars / batch evaluator: {totals['polars'][0] / totals['batch'][0]:.2f}x CPU, "
        f"{totals['polars'][1] / totals['batch'][1]:.2f}x wall (conversion not counted)"
    )
    print(f"agreement on {rows:,} valid rows: size class {agree_size:,}, 专精特新 status {agree_status:,}")


if __name__ == "__main__":
    main()
