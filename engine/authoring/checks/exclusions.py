"""Exclusions declared once: no policy carries its own copy, none of the document's policies is left out.

What: For each `exclusions` entry, a policy condition written out by hand with the same expression (exclusion-copy)
and a policy citing the exclusion's document that the exclusion does not name (exclusion-gap) are warnings.

Why: An exclusion copied into some policies and forgotten in others treats firms unequally without any document
saying so (new_ip_service_firm once lacked the penalty exclusion every other district measure carried).

Example: `exclusions: [{id: not_seriously_dishonest, policies: [a], source: {document: X}}]` while policy b, citing
X, is not named -> warning exclusion-gap at b.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.authoring.lintbase import Check, Linter
from engine.language.rules import Condition


def leaves(cond: Condition, loc: list[Any]) -> Iterator[tuple[list[Any], Condition]]:
    """Every leaf with its place in the YAML (for the line of a finding)."""
    if cond.when is not None:
        yield [*loc, "when"], cond
    key = "all" if cond.all is not None else "any" if cond.any is not None else "not"
    for n, kid in enumerate(cond.children()):
        yield from leaves(kid, [*loc, key] + ([n] if key != "not" else []))


def run(lint: Linter) -> None:
    pack = lint.pack
    for exclusion in pack.exclusions.values():
        named = set(pack.policies) if exclusion.policies == "all" else set(exclusion.policies)
        for ident, versions in pack.policies.items():
            for v, policy in enumerate(versions):
                for loc, cond in leaves(policy.conditions, ["conditions"]):
                    added = ident in named and cond.id == exclusion.id  # the copy the loader added
                    if not added and cond.test().text == exclusion.when.text:
                        lint.add(
                            lint.where.at("policies", ident, loc, v),
                            "warning",
                            "exclusion-copy",
                            f"{ident}: condition {cond.id or cond.when.text!r} copies exclusion {exclusion.id!r};"
                            " name the policy in the exclusion instead (if its own document states it, acknowledge the line)",
                            f"{ident}：条件 {cond.id or cond.when.text!r} 是排除条件 {exclusion.id!r} 的副本；"
                            "请改为在排除条件中列出本政策（若本政策自身的文件明文规定，请在该行确认）",
                        )
            if ident not in named and versions[0].source.document == exclusion.source.document:
                lint.add(
                    lint.where.at("policies", ident),
                    "warning",
                    "exclusion-gap",
                    f"{ident} cites {exclusion.source.document} like the policies exclusion {exclusion.id!r} names,"
                    " but does not carry it",
                    f"{ident} 与排除条件 {exclusion.id!r} 所列政策同出 {exclusion.source.document}，却未列入该排除条件",
                )


CHECK = Check("exclusions", ("exclusion-copy", "exclusion-gap"), run, __doc__ or "")
