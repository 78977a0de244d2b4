"""Compact rationale for batch screening: one line per row and policy, only where it is needed.

For an ineligible row, its deciding unmet conditions ("研发费用 90 万元 < 100 万元"); for an
undetermined row, its deciding unknown conditions and the empty facts they read. The deciding
conditions are those engine.evaluate.evaluator.reasons picks. Values are formatted once per distinct value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from engine.batch.vectorized import (
    UNKNOWN,
    UNMET,
    BatchEvaluation,
    BatchResult,
    PolicyColumns,
    Vec,
    map_distinct,
    to_python,
)
from engine.batch.wording import number_texts
from engine.evaluate.explain import (
    Renderer,
    expression_unit,
    fmt_number,
    fmt_value,
    fmt_values,
    is_ratio,
    with_reason,
)
from engine.evaluate.provenance import ASSUMED_TAG, describe, lookup_row
from engine.language import expr as ex
from engine.language.graph import upstream
from engine.language.loader import RulePack, dependencies
from engine.language.rules import Condition, Derived
from engine.model.profile import FIELDS, label_zh

NEGATED = {">=": "<", ">": "≤", "<=": ">", "<": "≥", "==": "≠", "!=": "="}
SEP = {"zh": "；", "en": "; "}
_REASON = "\x00"  # marks a reason among the labels of unknown_text's flags (a field label never starts so)


class Rationale:
    """Builds rationale text for a pack at a date, in one language."""

    def __init__(self, pack: RulePack, as_of: date, lang: str = "zh") -> None:
        self.pack, self.as_of, self.lang = pack, as_of, lang
        self.render = Renderer(pack.label, self.unit, self.param_value)
        self._fields: dict[int, list[str]] = {}
        self._lookups: dict[int, list[Derived]] = {}

    def unit(self, name: str) -> str | None:
        return self.pack.unit(name)

    def param_value(self, name: str) -> Any:
        param = self.pack.parameters.get(name)
        version = param.version_on(self.as_of) if param else None
        return None if version is None else version.value

    def field_label(self, name: str) -> str:
        return label_zh(name) if self.lang == "zh" else name

    # --- per policy ---------------------------------------------------------
    def texts(
        self, ev: BatchEvaluation, columns: PolicyColumns, rows: np.ndarray, extra: Coded | None = None
    ) -> pa.Array:
        """Rationale per row (null where the row is eligible or not in `rows`), after `extra` texts if given."""
        wanted = rows & (columns.state != 0)
        parts = [extra] if extra is not None else []
        for leaf, deciding in columns.deciding().items():
            mask = deciding & wanted
            if not mask.any():
                continue
            cond = columns.conditions[leaf]
            unmet = mask & (columns.nodes[leaf] == UNMET)
            unknown = mask & (columns.nodes[leaf] == UNKNOWN)
            if unmet.any():
                parts.append(self.unmet_text(ev, cond, unmet))
            if unknown.any():
                parts.append(self.unknown_text(ev, cond, unknown))
        return joined(parts, SEP[self.lang], len(rows))

    @staticmethod
    def leaf_ids(columns: PolicyColumns, rows: np.ndarray, state: int) -> pa.Array:
        """Ids of the leaf conditions in `state` (UNMET or UNKNOWN), comma-separated, per row in `rows`."""
        idx = np.flatnonzero(rows)
        flags = [(leaf, columns.nodes[leaf][idx] == state) for leaf in columns.leaves]
        return flagged(flags, idx, len(rows), ",".join).arrow()

    def assumptions(self, result: BatchResult, policy: str, rows: np.ndarray) -> pa.Array:
        """Per row in `rows`: the assumed or provisional values the decision and its amount rested on (依据含假设值)."""
        idx = np.flatnonzero(rows)
        masks = dict(result.provenance.get(policy, {}))
        for key, mask in result.provenance.get(policy + ".benefits", {}).items():
            masks[key] = masks[key] | mask if key in masks else mask
        flags = []
        for key in sorted(masks):
            a = describe(self.pack, self.as_of, key)
            text = a.text.zh if self.lang == "zh" else a.text.en
            flags.append((f"{ASSUMED_TAG[self.lang].get(a.status, '')}{text}", masks[key][idx]))
        return flagged(flags, idx, len(rows), SEP[self.lang].join).arrow()

    @staticmethod
    def deciding_counts(columns: PolicyColumns, rows: np.ndarray) -> dict[str, int]:
        """How many rows each leaf decides, as 'leaf unmet' / 'leaf unknown' (the summary's reasons)."""
        out = {}
        for leaf, deciding in columns.deciding().items():
            for state, word in ((UNMET, "unmet 未满足"), (UNKNOWN, "unknown 缺信息")):
                count = int((deciding & rows & (columns.nodes[leaf] == state)).sum())
                if count:
                    out[f"{leaf} {word}"] = count
        return out

    def subject(self, cond: Condition) -> str:
        if cond.label is not None:
            return cond.label.zh if self.lang == "zh" else cond.label.en
        return self.render.render(cond.test().ast, self.lang)

    def unmet_text(self, ev: BatchEvaluation, cond: Condition, rows: np.ndarray) -> Coded:
        node = cond.test().ast
        if not isinstance(node, ex.Compare):
            head = "不满足：" if self.lang == "zh" else "not met: "
            return Coded(np.where(rows, 0, -1), [head + self.subject(cond)])
        percent = self.is_ratio(node)
        unit = expression_unit(node.left, self.unit)
        left = self.formatted(ev.eval(node.left), rows, unit, percent)
        threshold = ev.eval(node.right)
        subject, op = self.render.render(node.left, self.lang), NEGATED[node.op]
        if threshold.scalar is not None:  # a parameter or a literal: one text, joined once to each value's text
            text = self.formatted(threshold, np.ones(1, dtype=bool), unit, percent).table[0]
            return Coded(left.codes, pc.binary_join_element_wise(subject, left.table, op, text, " "))
        right = self.formatted(threshold, rows, unit, percent)
        return combine(
            [left, right], lambda pair: pc.binary_join_element_wise(subject, pair[0], op, pair[1], " "), len(rows)
        )

    def unknown_text(self, ev: BatchEvaluation, cond: Condition, rows: np.ndarray) -> Coded:
        """'<condition>: missing <fields>' per row, the fields being those read and empty in that row; where
        none is, the condition with why it is open (a lookup row's reason, worded as the assessment words it)."""
        subject, lang = self.subject(cond), self.lang
        head = subject + ("：缺少 " if lang == "zh" else ": missing ")
        sep = "、" if lang == "zh" else ", "
        idx = np.flatnonzero(rows)
        flags = [
            (self.field_label(name), ~np.asarray(ev.values[name].known, dtype=bool)[idx])
            for name in self.fields_read(cond)
        ]
        reasons = [(_REASON + text, flag[idx]) for text, flag in self.open_reasons(ev, cond)]

        def text(labels: list[str]) -> str:
            fields = [label for label in labels if not label.startswith(_REASON)]
            if fields:
                return head + sep.join(fields)
            why = SEP[lang].join(label[len(_REASON) :] for label in labels)
            return with_reason(subject, why, lang) if why else subject

        return flagged(flags + reasons, idx, len(rows), text, none=subject)

    def open_reasons(self, ev: BatchEvaluation, cond: Condition) -> list[tuple[str, np.ndarray]]:
        """(reason, rows) of the lookup rows with a `reason` that the condition's facts rest on, by fact id
        (as the assessment orders them): why it is open in a row where no field it reads is empty."""
        found = []
        for rule in self.reasoned_lookups(cond):
            pos = map_distinct(ev.eval(rule.lookup.key.ast), lambda key, r=rule: lookup_row(r, key), ev.n)  # type: ignore[union-attr]
            at = to_python(pos)
            for n, row in enumerate(rule.lookup.table):  # type: ignore[union-attr]
                if row.reason is not None:
                    found.append((row.reason.zh if self.lang == "zh" else row.reason.en, pos.known & (at == n)))
        return found

    def reasoned_lookups(self, cond: Condition) -> list[Derived]:
        key = id(cond)
        if key not in self._lookups:
            seen = upstream(self.pack, dependencies(cond))
            self._lookups[key] = [
                rule
                for ident, rule in sorted(self.pack.derived.items())
                if ident in seen and rule.lookup is not None and any(r.reason for r in rule.lookup.table)
            ]
        return self._lookups[key]

    def fields_read(self, cond: Condition) -> list[str]:
        """Profile fields a condition reads, through derived facts, scorecards and policies."""
        key = id(cond)
        if key not in self._fields:
            seen = upstream(self.pack, dependencies(cond))
            self._fields[key] = [f for f in FIELDS if f in seen]
        return self._fields[key]

    def is_ratio(self, node: ex.Compare) -> bool:
        return is_ratio(node, self.unit)

    def formatted(self, vec: Vec, rows: np.ndarray, unit: str | None, percent: bool) -> Coded:
        """Values as text at `rows`, formatted once per distinct value (numbers in Arrow: engine.batch.wording)."""
        idx = np.flatnonzero(rows)
        known = np.asarray(vec.known)[idx]
        codes, uniques = pd.factorize(np.asarray(vec.value)[idx])
        codes = np.where(known, codes, len(uniques))
        lang = self.lang
        unknown = pa.array([fmt_value(None, unit, lang)], type=pa.string())
        if vec.kind in ("int", "num"):
            texts = number_texts(np.asarray(uniques, dtype=np.float64), unit, lang, percent)
        else:
            values = list(to_python(Vec(vec.kind, np.asarray(uniques), np.ones(len(uniques), dtype=bool))))
            if percent:
                words = [
                    fmt_number(v, True)
                    if isinstance(v, (int, float)) and not isinstance(v, bool)
                    else fmt_value(v, unit, lang)
                    for v in values
                ]
            else:
                words = fmt_values(values, unit, lang)
            texts = pa.array(words, type=pa.string())
        out = np.full(len(rows), -1, dtype=np.int64)
        out[idx] = codes
        return Coded(out, pa.concat_arrays([texts, unknown]))


@dataclass
class Coded:
    """Text per row as codes into a table of distinct texts (-1 = no text): cheap to build and join."""

    codes: np.ndarray
    table: pa.Array  # of strings (a list of str is taken as one)

    def __post_init__(self) -> None:
        if not isinstance(self.table, pa.Array):
            self.table = pa.array(self.table, type=pa.string())

    def arrow(self) -> pa.Array:
        """As a dictionary-encoded string column (each distinct text stored once), with the output columns'
        int32 indices (screen.TEXT): building the chunk's table then casts none of them."""
        return pa.DictionaryArray.from_arrays(with_nulls(self.codes, self.codes < 0, pa.int32()), self.table)


def with_nulls(values: np.ndarray, absent: np.ndarray, typ: pa.DataType = pa.int64()) -> pa.Array:
    """pa.array(values, type=typ, mask=absent), built from buffers (no per-element conversion)."""
    validity = pa.py_buffer(np.packbits(~absent, bitorder="little"))
    data = pa.py_buffer(np.ascontiguousarray(values, dtype=typ.to_pandas_dtype()))
    return pa.Array.from_buffers(typ, len(absent), [validity, data], int(absent.sum()))


def flagged(
    flags: list[tuple[str, np.ndarray]],
    idx: np.ndarray,
    n: int,
    join: Callable[[list[str]], str],
    none: str | None = None,
) -> Coded:
    """Per row of `idx`, the labels whose flag is set, joined (`none` where no flag is set; None = no text);
    one bit per label, each text built once per distinct set."""
    flags = [(label, flag) for label, flag in flags if flag.any()]
    out = np.full(n, -1, dtype=np.int64)
    if len(flags) > 62:  # more than an int64 holds: join generically
        parts = []
        for label, flag in flags:
            codes = out.copy()
            codes[idx[flag]] = 0
            parts.append(Coded(codes, [label]))
        joined = combine(parts, lambda texts: pa.array([join(t) for t in zip(*texts)], type=pa.string()), n)
        if none is not None:
            joined.codes[idx[joined.codes[idx] < 0]] = len(joined.table)
            joined.table = pa.concat_arrays([joined.table, pa.array([none], type=pa.string())])
        return joined
    key = np.zeros(len(idx), dtype=np.int64)
    for bit, (_, flag) in enumerate(flags):
        key |= flag.astype(np.int64) << bit
    codes, distinct = pd.factorize(key)
    labels = [label for label, _ in flags]
    table = [
        join([label for bit, label in enumerate(labels) if k >> bit & 1]) if k else none for k in distinct.tolist()
    ]
    remap = np.array([-1 if t is None else i for i, t in enumerate(table)], dtype=np.int64)
    out[idx] = remap[codes]
    return Coded(out, [t or "" for t in table])


def combine(parts: list[Coded], join: Callable[[list[Any]], pa.Array], n: int) -> Coded:
    """Row-wise join of several coded texts, built once per distinct combination: `join` gets, per part present
    somewhere, the texts of the distinct combinations (Arrow arrays, null where a combination lacks the part;
    Python lists of str when more than 62 flags made the parts) and returns their joined texts."""
    plan = _combinations(parts, n)
    if plan is None:
        return Coded(np.full(n, -1, dtype=np.int64), [])
    codes, present, first = plan
    if first is None:
        return Coded(codes, join([present[0].table]))
    return Coded(codes, join([p.table.take(with_nulls(p.codes[first], p.codes[first] < 0)) for p in present]))


def joined(parts: list[Coded], sep: str, n: int) -> pa.Array:
    """Row-wise join of coded texts with `sep` (absent parts skipped), as a dictionary-encoded column."""
    return combine(parts, lambda texts: _sep_joined(texts, sep), n).arrow()


def _sep_joined(texts: list[pa.Array], sep: str) -> pa.Array:
    if len(texts) == 1:  # sep.join of one text is the text
        return texts[0]
    return pc.binary_join_element_wise(*texts, sep, null_handling="skip")


def _combinations(parts: list[Coded], n: int) -> tuple[np.ndarray, list[Coded], np.ndarray | None] | None:
    """(code per row of its distinct combination of present parts, -1 where none; the parts present somewhere;
    a row showing each combination, or None when only one part is present: its own codes then serve).
    None when no part is present anywhere."""
    where = [(p, p.codes >= 0) for p in parts]  # each part's rows, worked out once
    where = [(p, at) for p, at in where if at.any()]
    if not where:
        return None
    present = [p for p, _ in where]
    if len(present) == 1:
        return present[0].codes, present, None
    rows = np.flatnonzero(np.logical_or.reduce([at for _, at in where]))
    key, size = np.zeros(n, dtype=np.int64), 1  # over every row: cheaper than gathering each part's rows
    for part in present:
        width = len(part.table) + 1
        if size * width >= 2**62:  # keep the mixed-radix key within int64
            key, distinct = pd.factorize(key)
            size = len(distinct)
        key, size = key * width + part.codes + 1, size * width
    codes, distinct = pd.factorize(key[rows])
    first = np.zeros(len(distinct), dtype=np.int64)
    first[codes[::-1]] = rows[::-1]  # a row showing each combination
    out = np.full(n, -1, dtype=np.int64)
    out[rows] = codes
    return out, present, first
