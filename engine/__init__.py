"""ipcheck engine: enterprise profiles, rule packs and the explainable evaluator.

This module is the engine's public API; the CLI, the service (`api/`) and outside callers use it
and the public models in `engine.model`, never the layers beneath (see docs/architecture.md):

    import engine
    result = engine.assess({"revenue": 3000, "rd_ratio": 0.05}, date(2025, 6, 30))
    result.decisions[0].status                          # eligible / ineligible / undetermined
    engine.screen(Path("applicants.xlsx"), Path("decisions.xlsx"), date(2025, 6, 30))

The batch names (`screen`, `Screening`, `Allocation`, `Summary`, `TableError`, `read_chunks`, `read_table`,
`field_of_header`, `resolve_headers`, `measures`, `policy_id`, `short_name`, `write_template`) load pyarrow, so they are imported on first use: `ipcheck assess` starts fast.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from engine.authoring.canary import canary
from engine.authoring.lint import Finding, lint_pack
from engine.evaluate.chart import strength_chart
from engine.evaluate.evaluator import RUNTIME_ERRORS, prepared
from engine.evaluate.evaluator import evaluate as _evaluate  # not `evaluate`: that is the sub-package's name
from engine.evaluate.explain import fmt_number, fmt_value
from engine.evaluate.interview import Answers, answers_from, completed, interview, question, result_summary
from engine.evaluate.interview import Progress as InterviewProgress
from engine.evaluate.interview import Step as InterviewStep
from engine.evaluate.patents import Patent, PatentListError, apply_counts, derive_counts, read_patents
from engine.evaluate.report import render
from engine.evaluate.strength import enrich
from engine.evaluate.summary import summarise as _summarise
from engine.evaluate.summary import summary_json as _summary_json
from engine.language.loader import (
    DEFAULT_RULES,
    RuleIssue,
    RuleLoadError,
    RulePack,
    dependencies,
    expressions_of,
    load_pack,
    pack_hash,
)
from engine.language.rules import Condition, Expression, Policy, Text
from engine.model.profile import EnterpriseProfile, ProfileInputError, ProfileIssue, parse_profile
from engine.model.results import Assessment, AssessmentSummary, StrengthResult, Words

if TYPE_CHECKING:
    from engine.batch.headers import resolve as resolve_headers
    from engine.batch.measures import catalogue as measures
    from engine.batch.measures import policy_id, short_name
    from engine.batch.screen import Allocation, Screening, Summary
    from engine.batch.tabular import (
        LimitError,
        ReadOptions,
        TableError,
        TableRead,
        field_of_header,
        read_chunks,
        read_table,
    )
    from engine.batch.template import write_template
    from engine.batch.xlsxguard import SheetChoice, SheetLimits

__all__ = [
    "DEFAULT_RULES",
    "Allocation",
    "Answers",
    "Assessment",
    "AssessmentSummary",
    "Condition",
    "EnterpriseProfile",
    "Expression",
    "Finding",
    "InterviewProgress",
    "InterviewStep",
    "LimitError",
    "Patent",
    "PatentListError",
    "Policy",
    "ProfileInputError",
    "ProfileIssue",
    "ReadOptions",
    "RuleIssue",
    "RuleLoadError",
    "RulePack",
    "Screening",
    "SheetChoice",
    "SheetLimits",
    "StrengthResult",
    "Summary",
    "TableError",
    "TableRead",
    "Text",
    "Words",
    "answers_from",
    "assess",
    "canary",
    "completed",
    "default_pack",
    "dependencies",
    "expressions_of",
    "field_of_header",
    "fmt_number",
    "fmt_value",
    "in_words",
    "interview",
    "lint_pack",
    "load_pack",
    "measures",
    "pack_hash",
    "parse_profile",
    "policy_id",
    "prepare_screening",
    "question",
    "read_chunks",
    "read_patents",
    "read_table",
    "render",
    "resolve_headers",
    "result_summary",
    "rule_errors",
    "screen",
    "short_name",
    "strength_chart",
    "summarise",
    "summary_json",
    "write_template",
]


def in_words(pack: RulePack, expression: Expression, as_of: date | None = None) -> Words:
    """A rule expression as a reader says it (parameters as their values on `as_of`), never as code."""
    return prepared(pack).on(as_of or date.today()).words(expression.ast)


def rule_errors() -> dict[str, int]:
    """Evaluations a rule failed in since this process started, by the rule's "file:line" (see /healthz)."""
    return dict(RUNTIME_ERRORS)


@lru_cache(maxsize=1)
def default_pack() -> RulePack:
    """The shipped pack (`rules/`), loaded once per process."""
    return load_pack(DEFAULT_RULES)


def assess(
    profile: EnterpriseProfile | Mapping[str, Any],
    as_of: date | None = None,
    *,
    pack: RulePack | None = None,
    what_if: bool = True,
    patents: list[Patent] | Path | None = None,
) -> Assessment:
    """Every decision for one enterprise at `as_of` (default today), with its reasons, the IP-strength
    section and, unless `what_if` is off (it re-evaluates the pack many times), the ranked
    improvements and near misses.

    `profile` is a profile or its raw mapping (English or Chinese keys; ProfileInputError if invalid).
    `patents`, a patent list or a CSV/JSON file of one, replaces the profile's patent counts with the
    counts derived from it (PatentListError if invalid); the checks are in `patent_counts`."""
    pack = pack or default_pack()
    day = as_of or date.today()
    checked = _checked(profile)
    checks = []
    if patents is not None:
        listed = read_patents(patents) if isinstance(patents, Path) else patents
        checked, checks = apply_counts(checked, derive_counts(listed, pack, day))
    result = enrich(_evaluate(checked, pack, day), checked, pack, day, what_if=what_if)
    result.patent_counts = checks
    return result


def summarise(
    profile: EnterpriseProfile | Mapping[str, Any], as_of: date | None = None, *, pack: RulePack | None = None
) -> AssessmentSummary:
    """What `assess` decides, without the condition trees, report or what-if (several times cheaper):
    each decision's status, its one-line reason (word for word), amount, what it would take and
    the facts that would settle it, and the IP-strength score. `profile` as for `assess`."""
    return _summarise(_checked(profile), pack or default_pack(), as_of or date.today())


def summary_json(
    profile: EnterpriseProfile | Mapping[str, Any], as_of: date | None = None, *, pack: RulePack | None = None
) -> bytes:
    """`summarise` as JSON bytes (the API's summary mode), built from plain data without result models."""
    return _summary_json(_checked(profile), pack or default_pack(), as_of or date.today())


def _checked(profile: EnterpriseProfile | Mapping[str, Any]) -> EnterpriseProfile:
    if isinstance(profile, EnterpriseProfile):
        return profile
    return parse_profile(dict(profile) if isinstance(profile, Mapping) else profile)


def screen(
    source: Path, output: Path, as_of: date | None = None, *, pack: RulePack | None = None, **options: Any
) -> Summary:
    """Screen an applicant table (.xlsx/.csv/.parquet) into `output` (.xlsx/.csv/.parquet): a decision,
    rationale and ranking per row, bad rows listed with their errors. `options` are `Screening`'s
    (policies, allocations, lang, chunk_rows, progress, workers, engine, scheduler); TableError if the
    whole table cannot be read."""
    from engine.batch.screen import Screening

    return Screening(pack or default_pack(), as_of or date.today(), **options).run(source, output)


def prepare_screening() -> None:
    """Load what a screening run needs (the batch modules, the process server the workbook readers are
    forked from) now, e.g. while a server starts, so the first upload does not wait for it."""
    from engine.batch import screen  # noqa: F401 — imported for its side effect: loaded once
    from engine.batch.isolated import start_server

    start_server()


def __getattr__(name: str) -> Any:
    """The batch names, imported on first use (they load pyarrow)."""
    if name in ("Screening", "Allocation", "Summary"):
        from engine.batch import screen as screening

        return getattr(screening, name)
    if name in (
        "TableError",
        "LimitError",
        "ReadOptions",
        "TableRead",
        "read_chunks",
        "read_table",
        "field_of_header",
    ):
        from engine.batch import tabular

        return getattr(tabular, name)
    if name in ("SheetLimits", "SheetChoice"):  # what an xlsx may ask of the reader; no pyarrow
        from engine.batch import xlsxguard

        return getattr(xlsxguard, name)
    if name == "resolve_headers":  # column headers -> fields (labels, synonyms, units)
        from engine.batch.headers import resolve

        return resolve
    if name in ("measures", "policy_id", "short_name"):  # measures by Chinese name
        from engine.batch import measures

        return getattr(measures, "catalogue" if name == "measures" else name)
    if name == "write_template":
        from engine.batch.template import write_template

        return write_template
    raise AttributeError(f"module 'engine' has no attribute {name!r}")
