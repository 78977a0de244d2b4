"""Static checks of `ipcheck rules lint`: every check from both sides, on small packs."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.authoring.lint import Finding, lint_pack
from engine.cli.main import main
from engine.language.loader import RuleLoadError, load_pack

SRC = "{document: 测试文件, clause: 一}"


def param(ident: str, value: object = 10, start: str = "2020-01-01", end: str | None = None) -> str:
    to = f", to: {end}" if end else ""
    return (
        f"  - {{id: {ident}, label: {{zh: 参数, en: param}}, versions: [{{from: {start}{to}, value: {value},"
        f" status: confirmed, source: {SRC}}}]}}\n"
    )


def policy(ident: str, conditions: str, start: str = "2023-01-01", extra: str = "") -> str:
    return (
        f"  - id: {ident}\n    title: {{zh: 政策{ident}, en: policy {ident}}}\n    source: {SRC}\n"
        f"    from: {start}\n{extra}    conditions:\n{conditions}"
    )


def leaves(*whens: str) -> str:
    return "      all:\n" + "".join(f"        - when: {w}\n" for w in whens)


def bracket_pack(rows: str, otherwise: str = "") -> str:
    return (
        "derived:\n  - id: band\n    label: {zh: 档位, en: band}\n    brackets:\n      of: employees\n"
        f"      rows:\n{rows}{otherwise}"
        "policies:\n" + policy("p", leaves("band == 2"))
    )


def lint(tmp_path: Path, text: str) -> list[Finding]:
    (tmp_path / "pack.yaml").write_text(text, encoding="utf-8")
    return lint_pack(load_pack(tmp_path))


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


# --- bracket tables ------------------------------------------------------------

CASCADE = "        - {ge: 100, value: 3}\n        - {ge: 10, value: 2}\n        - {ge: 0, value: 1}\n"


def test_a_cascade_covering_the_field_range_is_clean(tmp_path: Path) -> None:
    assert codes(lint(tmp_path, bracket_pack(CASCADE))) == []


def test_a_gap_below_the_last_row_is_reported_without_otherwise(tmp_path: Path) -> None:
    rows = "        - {ge: 100, value: 3}\n        - {ge: 10, value: 2}\n"
    [gap] = lint(tmp_path, bracket_pack(rows))
    assert gap.code == "bracket-gap" and gap.severity == "warning" and "[0, 10)" in gap.en
    assert gap.line == 4 and "没有匹配的行" in gap.zh


def test_otherwise_closes_the_gap(tmp_path: Path) -> None:
    rows = "        - {ge: 100, value: 3}\n        - {ge: 10, value: 2}\n"
    assert codes(lint(tmp_path, bracket_pack(rows, "      otherwise: 0\n"))) == []


def test_a_gap_at_one_edge_respects_gt_and_le(tmp_path: Path) -> None:
    rows = "        - {gt: 10, value: 2}\n        - {lt: 10, value: 1}\n"
    [gap] = lint(tmp_path, bracket_pack(rows))
    assert gap.code == "bracket-gap" and "values in 10 " in gap.en
    closed = "        - {gt: 10, value: 2}\n        - {le: 10, value: 1}\n"
    assert codes(lint(tmp_path, bracket_pack(closed))) == []


def test_a_row_that_earlier_rows_take_completely_is_an_error(tmp_path: Path) -> None:
    rows = "        - {ge: 10, value: 2}\n        - {ge: 100, value: 3}\n        - {ge: 0, value: 1}\n"
    [dead] = lint(tmp_path, bracket_pack(rows))
    assert dead.code == "bracket-shadowed" and dead.severity == "error" and dead.line == 8


def test_contradictory_bounds_and_rows_outside_the_range_never_match(tmp_path: Path) -> None:
    rows = "        - {ge: 50, lt: 20, value: 9}\n        - {lt: 0, value: 8}\n" + CASCADE
    found = lint(tmp_path, bracket_pack(rows))
    assert codes(found) == ["bracket-empty", "bracket-unreachable"]
    assert [f.line for f in found] == [7, 8]


def test_partly_overlapping_ranges_are_reported(tmp_path: Path) -> None:
    rows = "        - {ge: 0, lt: 20, value: 1}\n        - {ge: 10, lt: 50, value: 2}\n        - {ge: 50, value: 3}\n"
    [overlap] = lint(tmp_path, bracket_pack(rows))
    assert overlap.code == "bracket-overlap" and "[10, 20)" in overlap.en and overlap.line == 8
    adjacent = (
        "        - {ge: 0, lt: 10, value: 1}\n        - {ge: 10, lt: 50, value: 2}\n        - {ge: 50, value: 3}\n"
    )
    assert codes(lint(tmp_path, bracket_pack(adjacent))) == []


# --- conditions ------------------------------------------------------------------


def test_a_comparison_outside_a_field_range_never_holds(tmp_path: Path) -> None:
    [never] = lint(tmp_path, "policies:\n" + policy("p", leaves("employees >= 10", "revenue < 0")))
    assert never.code == "never-holds" and never.severity == "error" and never.line == 9


def test_a_comparison_a_field_range_settles_always_holds(tmp_path: Path) -> None:
    [always] = lint(tmp_path, "policies:\n" + policy("p", leaves("employees >= 0", "revenue > 5")))
    assert always.code == "always-holds" and always.severity == "warning" and always.line == 8
    assert codes(lint(tmp_path, "policies:\n" + policy("p", leaves("employees > 0")))) == []


def test_conditions_that_contradict_each_other_are_reported_on_their_group(tmp_path: Path) -> None:
    found = lint(
        tmp_path,
        "parameters:\n"
        + param("floor", 100)
        + "policies:\n"
        + policy("p", leaves("employees >= floor", "employees < 50")),
    )
    assert codes(found) == ["never-holds"] and found[0].line == 8 and "contradict" in found[0].en
    ok = lint(
        tmp_path,
        "parameters:\n"
        + param("floor", 100)
        + "policies:\n"
        + policy("p", leaves("employees >= floor", "employees < 500")),
    )
    assert codes(ok) == []


def test_a_policy_required_and_excluded_together_never_holds(tmp_path: Path) -> None:
    text = "policies:\n" + policy("a", leaves("employees > 3")) + policy("b", leaves("a", "not a"))
    assert codes(lint(tmp_path, text)) == ["never-holds"]


def test_a_misspelt_category_is_a_load_error_with_a_suggestion(tmp_path: Path) -> None:
    lookup = (
        "derived:\n  - id: sector\n    label: {zh: 行业, en: sector}\n    lookup:\n      key: industry_code\n"
        "      match: prefix\n      table: [{keys: [C], value: industry}]\n      default: other\n"
    )
    (tmp_path / "pack.yaml").write_text(
        lookup + "policies:\n" + policy("p", leaves("sector == 'industri'")), encoding="utf-8"
    )
    with pytest.raises(RuleLoadError) as err:
        load_pack(tmp_path)
    [issue] = err.value.issues
    assert issue.line == 16 and "是否想写 'industry'" in issue.message and "did you mean 'industry'" in issue.message
    assert codes(lint(tmp_path, lookup + "policies:\n" + policy("p", leaves("sector == 'industry'")))) == []


def test_ratios_of_non_negative_facts_are_never_negative(tmp_path: Path) -> None:
    assert codes(lint(tmp_path, "policies:\n" + policy("p", leaves("rd_expense / revenue < 0")))) == ["never-holds"]
    assert codes(lint(tmp_path, "policies:\n" + policy("p", leaves("rd_expense / revenue >= 3%")))) == []


# --- 不重复享受 ---------------------------------------------------------------------

BENEFIT = "    benefits: [{kind: reward, text: {zh: 奖励, en: reward}, amount: '5'}]\n"


def exclusive_pack(cond_a: str, cond_b: str, benefit_b: str = BENEFIT) -> str:
    return (
        "policies:\n"
        + policy("a", leaves(cond_a))
        + BENEFIT
        + policy("b", leaves(cond_b))
        + benefit_b
        + f"exclusive:\n  - id: one_reward\n    policies: [a, b]\n    source: {SRC}\n"
    )


def test_exclusive_policies_a_firm_can_hold_together_are_reported_as_information(tmp_path: Path) -> None:
    [info] = lint(tmp_path, exclusive_pack("employees >= 10", "revenue >= 100"))
    assert info.code == "exclusive-overlap" and info.severity == "info" and info.line == 19
    assert "不重复享受" in info.zh and "a: 5" in info.en


def test_exclusive_policies_with_disjoint_conditions_are_clean(tmp_path: Path) -> None:
    assert codes(lint(tmp_path, exclusive_pack("employees >= 10", "employees < 10"))) == []


def test_an_exclusive_policy_granting_nothing_is_clean(tmp_path: Path) -> None:
    assert codes(lint(tmp_path, exclusive_pack("employees >= 10", "revenue >= 100", benefit_b=""))) == []


def test_an_exclusive_group_must_name_existing_policies(tmp_path: Path) -> None:
    text = exclusive_pack("employees >= 10", "revenue >= 100").replace("[a, b]", "[a, c, a]")
    (tmp_path / "pack.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RuleLoadError) as err:
        load_pack(tmp_path)
    messages = [str(i) for i in err.value.issues]
    assert any(":19:" in m and "'c'" in m for m in messages) and any("twice" in m for m in messages)


# --- sources -------------------------------------------------------------------------


def test_a_parameter_without_a_source_does_not_load(tmp_path: Path) -> None:
    text = "parameters:\n" + param("x").replace(f", source: {SRC}", "")
    (tmp_path / "pack.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RuleLoadError) as err:
        load_pack(tmp_path)
    [issue] = err.value.issues
    assert "source" in issue.message and "Field required" in issue.message and issue.line == 2


def test_a_parameter_citing_a_blank_document_is_an_error(tmp_path: Path) -> None:
    text = (
        "parameters:\n" + param("x").replace("测试文件", "' '") + "policies:\n" + policy("p", leaves("employees > x"))
    )
    [blank] = lint(tmp_path, text)
    assert blank.code == "no-source" and blank.severity == "error" and blank.line == 2


# --- effective periods -------------------------------------------------------------


def test_a_parameter_starting_after_the_policy_is_reported_for_the_uncovered_days(tmp_path: Path) -> None:
    text = "parameters:\n" + param("x", start="2024-01-01") + "policies:\n" + policy("p", leaves("employees > x"))
    [late] = lint(tmp_path, text)
    assert late.code == "out-of-period" and late.severity == "warning" and late.line == 4
    assert "2023-01-01–2023-12-31" in late.en


def test_a_parameter_never_in_force_during_the_policy_is_an_error(tmp_path: Path) -> None:
    text = (
        "parameters:\n"
        + param("x", start="2020-01-01", end="2022-12-31")
        + "policies:\n"
        + policy("p", leaves("employees > x"))
    )
    [gone] = lint(tmp_path, text)
    assert gone.code == "out-of-period" and gone.severity == "error"


def test_a_parameter_read_through_a_derived_fact_counts(tmp_path: Path) -> None:
    text = (
        "parameters:\n"
        + param("x", start="2024-01-01")
        + "derived:\n  - {id: d, label: {zh: 派生, en: d}, formula: employees - x}\n"
        + "policies:\n"
        + policy("p", leaves("d > 0"))
    )
    [late] = lint(tmp_path, text)
    assert late.code == "out-of-period" and "via d → x" in late.en


def test_a_policy_reading_an_expired_policy_is_reported(tmp_path: Path) -> None:
    old = policy("old", leaves("employees > 1"), start="2020-01-01").replace(
        "    from: 2020-01-01\n", "    from: 2020-01-01\n    to: 2023-06-30\n"
    )
    [expired] = lint(tmp_path, "policies:\n" + old + policy("p", leaves("old")))
    assert expired.code == "out-of-period" and "2023-07-01–" in expired.en and "政策 old" in expired.zh


def test_parameters_in_force_throughout_are_clean(tmp_path: Path) -> None:
    text = "parameters:\n" + param("x", start="2023-01-01") + "policies:\n" + policy("p", leaves("employees > x"))
    assert codes(lint(tmp_path, text)) == []


# --- unused definitions --------------------------------------------------------------


def test_unused_parameters_and_derived_facts_are_reported(tmp_path: Path) -> None:
    text = (
        "parameters:\n"
        + param("x")
        + param("y")
        + "derived:\n  - {id: d, label: {zh: 派生, en: d}, formula: y * 2}\n"
        + "policies:\n"
        + policy("p", leaves("employees > x"), start="2020-01-01")
    )
    found = lint(tmp_path, text)
    assert [(f.code, f.severity) for f in found] == [("unused", "info")] and "d" in found[0].en
    unused_param = lint(tmp_path, text.replace("formula: y * 2", "formula: employees * 2"))
    assert {(f.code, f.severity, f.line) for f in unused_param} == {("unused", "warning", 3), ("unused", "info", 5)}


def test_a_parameter_read_by_code_is_not_unused(tmp_path: Path) -> None:
    text = (
        "parameters:\n"
        + param("x").replace("}]}", "}], read_by: engine/evaluate/patents.py}")
        + "policies:\n"
        + policy("p", leaves("employees > 3"), start="2020-01-01")
    )
    assert codes(lint(tmp_path, text)) == []
    assert codes(lint(tmp_path, text.replace(", read_by: engine/evaluate/patents.py", ""))) == ["unused"]


# --- the command ---------------------------------------------------------------------


def test_lint_exits_1_on_errors_and_prints_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "pack.yaml").write_text("policies:\n" + policy("p", leaves("revenue < 0")), encoding="utf-8")
    result = CliRunner().invoke(main, ["rules", "lint", str(tmp_path)])
    assert result.exit_code == 1 and f"{tmp_path / 'pack.yaml'}:8: error/错误 [never-holds]" in result.output


def test_lint_warnings_pass_unless_strict(tmp_path: Path) -> None:
    (tmp_path / "pack.yaml").write_text("policies:\n" + policy("p", leaves("revenue >= 0")), encoding="utf-8")
    loose = CliRunner().invoke(main, ["rules", "lint", str(tmp_path)])
    assert loose.exit_code == 0 and "always-holds" in loose.output and "1 个警告" in loose.output
    assert CliRunner().invoke(main, ["rules", "lint", "--strict", str(tmp_path)]).exit_code == 1


def test_arithmetic_beyond_the_overflow_bound_is_reported(tmp_path: Path) -> None:
    always = lint(tmp_path, "policies:\n" + policy("p", leaves("1000000000000 * 1000000000000 > revenue")))
    assert [(f.code, f.severity, f.line) for f in always] == [("overflow", "error", 8)]
    bounded = lint(
        tmp_path, "policies:\n" + policy("p", leaves("digitalisation_level * 1000000000000 * 1000 > revenue"))
    )
    assert [(f.code, f.severity) for f in bounded] == [("overflow", "warning")]
    assert lint(tmp_path, "policies:\n" + policy("p", leaves("revenue * 2 > 1"))) == []


def test_the_shipped_pack_lints_clean_and_says_so_in_chinese() -> None:
    result = CliRunner().invoke(main, ["rules", "lint"])
    assert result.exit_code == 0 and "warning/警告" not in result.output
    assert "规则检查通过：0 个错误，" in result.output and "个提示" in result.output


def test_a_warning_acknowledged_in_the_rule_file_is_shown_as_a_note(tmp_path: Path) -> None:
    text = "policies:\n" + policy("p", leaves("revenue >= 0  # lint-ok: always-holds"))
    [finding] = lint(tmp_path, text)
    assert finding.severity == "info" and finding.code == "always-holds" and "已在规则文件中确认" in finding.zh
    assert lint(tmp_path, text.replace("always-holds", "bracket-gap"))[0].severity == "warning"
