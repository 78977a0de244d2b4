"""Compact rationale for batch screening: one line per row and policy, only where it is needed.

For an ineligible row, its deciding unmet conditions ("研发费用 90 万元 < 100 万元"); for an
undetermined row, its deciding unknown conditions and the empty facts they read. The deciding
conditions are those engine.evaluator.reasons picks. Values are formatted once per distinct value.
"""
from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from . import expr as ex
from .explain import RATIO_UNITS, Renderer, field_unit, fmt_number, fmt_value
from .loader import RulePack, dependencies
from .profile import FIELDS, label_zh
from .rules import Condition
from .vectorized import UNKNOWN, UNMET, BatchEvaluation, PolicyColumns, Vec, to_python

NEGATED = {">=": "<", ">": "≤", "<=": ">", "<": "≥", "==": "≠", "!=": "="}
SEP = {"zh": "；", "en": "; "}


class Rationale:
    """Builds rationale text for a pack at a date, in one language."""

    def __init__(self, pack: RulePack, as_of: date, lang: str = "zh") -> None:
        self.pack, self.as_of, self.lang = pack, as_of, lang
        self.render = Renderer(pack.label, self.unit, self.param_value)
        self._fields: dict[str, list[str]] = {}

    def unit(self, name: str) -> str | None:
        for table in (self.pack.parameters, self.pack.derived):
            if name in table:
                return table[name].unit  # type: ignore[attr-defined]
        return field_unit(name)

    def param_value(self, name: str) -> Any:
        param = self.pack.parameters.get(name)
        version = param.version_on(self.as_of) if param else None
        return None if version is None else version.value

    def field_label(self, name: str) -> str:
        return label_zh(name) if self.lang == "zh" else name

    # --- per policy ---------------------------------------------------------
    def texts(self, ev: BatchEvaluation, columns: PolicyColumns, rows: np.ndarray) -> np.ndarray:
        """Rationale per row (object array; None where the row is eligible or not in `rows`)."""
        n = len(rows)
        out = np.full(n, "", dtype=object)
        started = np.zeros(n, dtype=bool)
        wanted = rows & (columns.state != 0)
        for leaf, deciding in columns.deciding().items():
            mask = deciding & wanted
            if not mask.any():
                continue
            cond = columns.conditions[leaf]
            unmet = mask & (columns.nodes[leaf] == UNMET)
            unknown = mask & (columns.nodes[leaf] == UNKNOWN)
            for part, text in ((unmet, self.unmet_text(ev, cond, unmet)), (unknown, self.unknown_text(ev, cond, unknown))):
                if part.any():
                    sep = np.where(started[part], SEP[self.lang], "").astype(object)
                    out[part] = out[part] + sep + text[part]
                    started |= part
        out[~started] = None
        return out

    def subject(self, cond: Condition) -> str:
        if cond.label is not None:
            return cond.label.zh if self.lang == "zh" else cond.label.en
        assert cond.when is not None
        return self.render.render(cond.when.ast, self.lang)

    def unmet_text(self, ev: BatchEvaluation, cond: Condition, rows: np.ndarray) -> np.ndarray:
        assert cond.when is not None
        node = cond.when.ast
        if not rows.any() or not isinstance(node, ex.Compare):
            head = "不满足：" if self.lang == "zh" else "not met: "
            return np.full(len(rows), head + self.subject(cond), dtype=object)
        percent = self.is_ratio(node)
        unit = self.unit(node.left.name) if isinstance(node.left, ex.Name) else None
        left = self.formatted(ev.eval(node.left), rows, unit, percent)
        right = self.formatted(ev.eval(node.right), rows, unit, percent)
        subject = self.render.render(node.left, self.lang)
        return subject + " " + left + f" {NEGATED[node.op]} " + right

    def unknown_text(self, ev: BatchEvaluation, cond: Condition, rows: np.ndarray) -> np.ndarray:
        n = len(rows)
        head = self.subject(cond) + ("：缺少 " if self.lang == "zh" else ": missing ")
        names = np.full(n, "", dtype=object)
        started = np.zeros(n, dtype=bool)
        if rows.any():
            for name in self.fields_read(cond):
                empty = rows & ~np.asarray(ev.values[name].known, dtype=bool)
                if empty.any():
                    sep = np.where(started[empty], "、" if self.lang == "zh" else ", ", "").astype(object)
                    names[empty] = names[empty] + sep + self.field_label(name)
                    started |= empty
        return head + names

    def fields_read(self, cond: Condition) -> list[str]:
        """Profile fields a condition reads, through derived facts, scorecards and policies."""
        key = id(cond)
        if key not in self._fields:
            seen: set[str] = set()
            todo = list(dependencies(cond))
            while todo:
                name = todo.pop().removesuffix("_passed")
                if name in seen:
                    continue
                seen.add(name)
                item = self.pack.derived.get(name) or self.pack.scorecards.get(name)
                versions = [item] if item is not None else self.pack.policies.get(name, [])
                for version in versions:
                    todo += dependencies(version)
            self._fields[key] = [f for f in FIELDS if f in seen]
        return self._fields[key]

    def is_ratio(self, node: ex.Compare) -> bool:
        right = node.right
        if isinstance(right, ex.Num):
            return right.percent
        return isinstance(right, ex.Name) and self.unit(right.name) in RATIO_UNITS

    def formatted(self, vec: Vec, rows: np.ndarray, unit: str | None, percent: bool) -> np.ndarray:
        """Values as text (once per distinct value), at `rows`; '' elsewhere."""
        out = np.full(len(rows), "", dtype=object)
        idx = np.flatnonzero(rows)
        values = to_python(Vec(vec.kind, np.asarray(vec.value)[idx], np.asarray(vec.known)[idx]))
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        lang = self.lang

        def show(v: Any) -> str:
            if percent and isinstance(v, (int, float)) and not isinstance(v, bool):
                return fmt_number(v, True)
            return fmt_value(v, unit, lang)

        shown = np.array([show(u) for u in uniques] or [""], dtype=object)
        out[idx] = shown[codes] if len(idx) else out[idx]
        return out
