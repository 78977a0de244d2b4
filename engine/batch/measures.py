"""Measures as officers name them: short Chinese names, lookup by id or name, the list `ipcheck policies` prints."""

from __future__ import annotations

from datetime import date
from typing import Any

from engine.batch.tabular import TableError
from engine.language import expr as ex
from engine.language.loader import RulePack
from engine.language.rules import Policy

KIND_ZH = {"measure": "扶持措施", "designation": "认定条件"}


def in_force(pack: RulePack, as_of: date) -> list[str]:
    return [p for p in pack.order if p in pack.policies and pack.policy_on(p, as_of) is not None]


def version(pack: RulePack, policy: str, as_of: date) -> Policy:
    """The version in force at `as_of`, else the latest one (names stay stable across versions)."""
    return pack.policy_on(policy, as_of) or pack.policies[policy][-1]  # type: ignore[return-value]


def short_name(pack: RulePack, policy: str, as_of: date) -> str:
    """The Chinese short name (name_zh), else the Chinese title."""
    v = version(pack, policy, as_of)
    return v.name_zh or v.title.zh


def policy_id(pack: RulePack, text: str, as_of: date, option: str = "--policies") -> str:
    """The id a user means by an id, a Chinese short name or a Chinese title; a bilingual error listing the valid ones."""
    wanted = text.strip()
    for p in pack.policies:
        v = version(pack, p, as_of)
        if wanted in (p, v.name_zh, v.title.zh):
            return p
    valid = [f"{short_name(pack, p, as_of)}（{p}）" for p in in_force(pack, as_of)]
    raise TableError(
        f"{option}: no measure named {wanted!r}; valid: {', '.join(valid)}",
        f"{option}：没有名为「{wanted}」的措施；可选：{'、'.join(valid)}",
    )


def amount_text(pack: RulePack, policy: Policy, as_of: date) -> str:
    """The benefit amount in words: a fixed amount, a formula, a cap; '—' without an amount."""
    parts = []
    for benefit in policy.benefits:
        if benefit.amount is None:
            continue
        node = benefit.amount.ast
        value = _param(pack, node.name, as_of) if isinstance(node, ex.Name) else None
        text = f"{value:g} 万元" if isinstance(value, (int, float)) else "按公式计算"
        if benefit.cap is not None and benefit.cap != value:
            text += f"，最高 {benefit.cap:g} 万元"
        parts.append(text)
    return "；".join(parts) or "—（无金额）"


def _param(pack: RulePack, name: str, as_of: date) -> Any:
    param = pack.parameters.get(name)
    found = param.version_on(as_of) if param else None
    return None if found is None else found.value


def catalogue(pack: RulePack, as_of: date) -> list[dict[str, str]]:
    """One row per policy in force: id, Chinese name, kind, amount, period."""
    rows = []
    for p in in_force(pack, as_of):
        v = version(pack, p, as_of)
        period = f"{v.valid_from.isoformat()} 起" + (f"至 {v.valid_to.isoformat()}" if v.valid_to else "（长期）")
        rows.append(
            {
                "id": p,
                "name": short_name(pack, p, as_of),
                "kind": KIND_ZH.get(v.kind, v.kind),
                "amount": amount_text(pack, v, as_of),
                "period": period,
            }
        )
    return rows


def condition_labels(pack: RulePack, policy: str, as_of: date) -> dict[str, str]:
    """Condition id -> Chinese label (its rendered id where it has none), over the policy's condition tree."""
    out: dict[str, str] = {}
    todo = [version(pack, policy, as_of).conditions]
    while todo:
        cond = todo.pop()
        if cond.id is not None and cond.id not in out:
            out[cond.id] = cond.label.zh if cond.label is not None else cond.id
        todo += cond.children()
    return out
