"""`ipcheck rules diff` and `ipcheck rules test`: what an edit changes, over whom, and why."""

from __future__ import annotations

import json
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.authoring.diff import (
    DiffInputError,
    build_report,
    evaluate_population,
    generate_population,
    make_population,
    read_population,
    render_html,
    structural_diff,
)
from engine.cli.main import main
from engine.language.loader import DEFAULT_RULES, load_pack

DAY = date(2026, 11, 1)
PACK = """\
parameters:
  - id: min_staff
    name_zh: 最低人数
    label: {zh: 最低从业人员数, en: Minimum staff}
    versions: [{from: 2020-01-01, value: 10, status: confirmed, source: {document: 测试文件, clause: 一}}]
policies:
  - id: staff_grant
    title: {zh: 用工补助, en: Staffing grant}
    source: {document: 测试文件, clause: 二}
    from: 2020-01-01
    conditions:
      all:
        - id: in_jiangbei
          label: {zh: 注册地在江北区, en: Registered in Jiangbei}
          when: division_code == '500105'
        - id: enough_staff
          label: {zh: 人数达标, en: Enough staff}
          when: employees >= min_staff
    benefits:
      - {kind: subsidy, text: {zh: 补助, en: subsidy}, amount: revenue * 10%, cap: 50}
"""
FIRMS = [
    {"name": "甲", "division_code": "500105", "employees": 12, "revenue": 100},  # eligible, then not
    {"name": "乙", "division_code": "500105", "employees": 30, "revenue": 1000},  # eligible throughout (capped at 50)
    {"name": "丙", "division_code": "500106", "employees": 12, "revenue": 100},  # elsewhere: never
    {"name": "丁", "division_code": "500105", "revenue": 100},  # staff unknown: undetermined
]


def pack_dir(tmp_path: Path, name: str, text: str = PACK) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "pack.yaml").write_text(text, encoding="utf-8")
    return folder


def both(tmp_path: Path, new_text: str):
    return load_pack(pack_dir(tmp_path, "old")), load_pack(pack_dir(tmp_path, "new", new_text))


# --- structural diff ---------------------------------------------------------------------


def test_a_raised_threshold_is_one_readable_change(tmp_path: Path) -> None:
    old, new = both(tmp_path, PACK.replace("value: 10", "value: 20"))
    [change] = structural_diff(old, new)
    assert (change.kind, change.section, change.ident, change.aspect) == ("changed", "parameters", "min_staff", "value")
    assert (change.old, change.new) == (10, 20)
    assert change.words() == (
        "~ 修改 changed 参数 parameter min_staff（最低从业人员数）: versions › from 2020-01-01 › value: 10 → 20"
    )


def test_conditions_benefits_citations_and_statuses_are_named(tmp_path: Path) -> None:
    edited = (
        PACK.replace("employees >= min_staff", "employees > min_staff")
        .replace("cap: 50", "cap: 80")
        .replace("clause: 二}", "clause: 三}")
        .replace("    from: 2020-01-01\n    conditions", "    from: 2020-01-01\n    status: assumed\n    conditions")
    )
    old, new = both(tmp_path, edited)
    found = {(c.aspect, " › ".join(c.path), c.old, c.new) for c in structural_diff(old, new)}
    assert found == {
        (
            "condition",
            "from 2020-01-01 › conditions › all › enough_staff › when",
            "employees >= min_staff",
            "employees > min_staff",
        ),
        ("benefit", "from 2020-01-01 › benefits › #1 › cap", 50.0, 80.0),
        ("citation", "from 2020-01-01 › source › clause", "二", "三"),
        ("status", "from 2020-01-01 › status", "confirmed", "assumed"),
    }


def test_added_and_removed_items(tmp_path: Path) -> None:
    extra = PACK.replace(
        "policies:\n",
        "policies:\n  - id: other\n    title: {zh: 其他, en: other}\n"
        "    source: {document: 测试文件}\n    from: 2020-01-01\n    conditions: {when: employees > 1}\n",
    )
    old, new = both(tmp_path, extra)
    [added] = structural_diff(old, new)
    assert (
        added.kind == "added"
        and added.ident == "other"
        and added.words().startswith("+ 新增 added 政策 policy other（其他）")
    )
    [removed] = structural_diff(new, old)
    assert removed.kind == "removed" and removed.words().startswith("- 删除 removed")


def test_identical_packs_have_no_changes() -> None:
    assert structural_diff(load_pack(DEFAULT_RULES), load_pack(DEFAULT_RULES)) == []


# --- population diff ----------------------------------------------------------------------


def test_raising_a_threshold_names_who_flips_why_and_the_budget(tmp_path: Path) -> None:
    old, new = both(tmp_path, PACK.replace("value: 10", "value: 20"))
    report = build_report("old", "new", old, new, make_population(FIRMS, "firms"), DAY)
    [flips] = report.policies
    assert flips.transitions == {"eligible→ineligible": 1}
    assert flips.before == {"eligible": 2, "ineligible": 1, "undetermined": 1}
    assert [c["id"] for c in flips.conditions] == ["enough_staff"] and flips.conditions[0]["rows"] == 1
    [example] = flips.examples
    assert example["label"] == "#1 甲" and example["conditions"] == [
        {"id": "enough_staff", "old": "met", "new": "unmet"}
    ]
    assert "需 ≥ 20" in example["reason_after"]["zh"]
    assert (flips.amount_before, flips.amount_after) == (60.0, 50.0)
    text = report.text()
    assert "符合→不符合：1 户" in text and "（变化 -10.00 万元）" in text
    assert "新规则静态检查：0 个错误，0 个警告" in text


def test_the_report_carries_the_lint_of_the_new_pack(tmp_path: Path) -> None:
    old, new = both(tmp_path, PACK.replace("employees >= min_staff", "employees >= min_staff and revenue < 0"))
    report = build_report("old", "new", old, new, make_population(FIRMS, "firms"), DAY)
    assert [f.code for f in report.lint] == ["never-holds"]
    assert "pack.yaml:18: error/错误 [never-holds]" in report.text()
    assert report.as_json()["lint"][0]["severity"] == "error"


def test_flips_to_and_from_undetermined_are_counted(tmp_path: Path) -> None:
    old, new = both(tmp_path, PACK.replace("employees >= min_staff", "employees >= min_staff or revenue >= 50"))
    [flips] = build_report("old", "new", old, new, make_population(FIRMS, "firms"), DAY).policies
    assert flips.transitions == {"undetermined→eligible": 1}
    assert flips.examples[0]["label"] == "#4 丁"


def test_a_new_policy_flips_from_not_in_force(tmp_path: Path) -> None:
    later = PACK.replace("    from: 2020-01-01\n    conditions", "    from: 2027-01-01\n    conditions")
    old, new = both(tmp_path, later)
    [flips] = build_report("old", "new", new, old, make_population(FIRMS, "firms"), DAY).policies
    assert flips.transitions == {
        "not_in_force→eligible": 2,
        "not_in_force→ineligible": 1,
        "not_in_force→undetermined": 1,
    }
    assert [(c["id"], c["rows"]) for c in flips.conditions] == [("(in_force)", 4)]
    assert flips.examples[0]["conditions"] == [{"id": "(in_force)", "old": "not_in_force", "new": "in force"}]


def test_evaluate_population_returns_columns(tmp_path: Path) -> None:
    pop = make_population(FIRMS, "firms")
    result = evaluate_population(load_pack(pack_dir(tmp_path, "p")), pop.profiles, DAY)
    assert {k: v.tolist() for k, v in result.status.items()} == {
        "staff_grant": ["eligible", "eligible", "ineligible", "undetermined"]
    }
    assert result.leaves["staff_grant"]["enough_staff"].tolist() == ["met", "met", "met", "unknown"]
    assert {k: v.tolist() for k, v in result.amount.items()} == {"staff_grant": [10.0, 50.0, 0.0, 0.0]}


# --- populations ----------------------------------------------------------------------------


def test_invalid_rows_are_counted_and_reported_never_dropped(tmp_path: Path) -> None:
    path = tmp_path / "firms.json"
    path.write_text(json.dumps([FIRMS[0], {"employees": -3}, {"bogus": 1}], ensure_ascii=False), encoding="utf-8")
    pop = read_population(path)
    assert pop.total == 3 and len(pop.profiles) == 1
    assert [r["row"] for r in pop.rejected] == [2, 3] and "employees" in pop.rejected[0]["issues"][0]
    old, new = both(tmp_path, PACK)
    assert "第 2 行：employees" in build_report("a", "b", old, new, pop, DAY).text()


def test_csv_with_chinese_headers(tmp_path: Path) -> None:
    path = tmp_path / "firms.csv"
    path.write_text(
        "企业名称,注册地行政区划代码,从业人员数,营业收入,列入严重失信主体名单,持有称号\n"
        "甲,500105,12,100,否,高新技术企业\n乙,500105,,,是,\n",
        encoding="utf-8",
    )
    pop = read_population(path)
    assert not pop.rejected
    first, second = pop.profiles
    assert (
        first.employees == 12
        and first.serious_dishonesty_list is False
        and first.titles[0].title == "high_tech_enterprise"
    )
    assert second.employees is None and second.serious_dishonesty_list is True


def test_csv_saved_by_excel_in_gb18030(tmp_path: Path) -> None:
    path = tmp_path / "firms.csv"
    path.write_bytes("企业名称,从业人员数\n甲,12\n".encode("gb18030"))
    [firm] = read_population(path).profiles
    assert firm.name == "甲" and firm.employees == 12


def test_csv_with_an_unknown_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "firms.csv"
    path.write_text("企业名称,员工\n甲,3\n", encoding="utf-8")
    with pytest.raises(DiffInputError, match="员工"):
        read_population(path)


def test_the_generated_population_is_reproducible_valid_and_crosses_thresholds() -> None:
    pop = generate_population(400, seed=3)
    assert pop.labels == generate_population(400, seed=3).labels != generate_population(400, seed=4).labels
    assert not pop.rejected and len(pop) == pop.total == 400
    statuses = evaluate_population(load_pack(DEFAULT_RULES), pop, DAY).status["innovative_sme"]
    assert {"eligible", "ineligible", "undetermined"} <= set(statuses)
    assert pop.profile(5).credit_code == pop.labels[5].split("(")[-1].rstrip(")")


# --- the commands -----------------------------------------------------------------------------


def test_diff_command_json_and_html(tmp_path: Path) -> None:
    old, new = pack_dir(tmp_path, "old"), pack_dir(tmp_path, "new", PACK.replace("value: 10", "value: 20"))
    firms = tmp_path / "firms.json"
    firms.write_text(json.dumps(FIRMS, ensure_ascii=False), encoding="utf-8")
    args = ["rules", "diff", str(old), str(new), "--population", str(firms), "--as-of", "2026-11-01"]
    result = CliRunner().invoke(main, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (
        data["policies"][0]["transitions"] == {"eligible→ineligible": 1} and data["policies"][0]["amount_change"] == -10
    )
    report = tmp_path / "report.html"
    assert CliRunner().invoke(main, [*args, "-o", str(report)]).exit_code == 0
    page = report.read_text(encoding="utf-8")
    assert "人数达标：满足→不满足" in page and "#1 甲" in page and "<script" not in page
    workbook = tmp_path / "report.xlsx"
    assert CliRunner().invoke(main, [*args, "-o", str(workbook)]).exit_code == 0
    with zipfile.ZipFile(workbook) as book:
        names = book.namelist()
        strings = book.read("xl/sharedStrings.xml").decode("utf-8")
    assert "xl/worksheets/sheet5.xml" in names and "enough_staff" in strings and "#1 甲" in strings


def test_diff_command_names_the_side_that_fails_to_load(tmp_path: Path) -> None:
    old, new = pack_dir(tmp_path, "old"), pack_dir(tmp_path, "new", PACK.replace("employees >=", "employes >="))
    result = CliRunner().invoke(main, ["rules", "diff", str(old), str(new), "--size", "5"])
    assert result.exit_code == 3 and f"{new}: 规则包加载失败" in result.output and "employes" in result.output


def test_diff_against_a_git_revision(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    (repo / "rules").mkdir(parents=True)
    (repo / "rules" / "pack.yaml").write_text(PACK, encoding="utf-8")
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "rules"], check=True)
    (repo / "rules" / "pack.yaml").write_text(PACK.replace("value: 10", "value: 20"), encoding="utf-8")
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(main, ["rules", "diff", "git:HEAD", "rules", "--size", "20", "--json"])
    assert result.exit_code == 0, result.output
    [change] = json.loads(result.output)["changes"]
    assert (change["old"], change["new"]) == (10, 20)
    bad = CliRunner().invoke(main, ["rules", "diff", "git:no-such-rev", "rules", "--size", "5"])
    assert bad.exit_code == 2 and "no-such-rev" in bad.output


def test_rules_test_refuses_a_folder_that_does_not_load(tmp_path: Path) -> None:
    folder = pack_dir(tmp_path, "broken", PACK.replace("employees >=", "employes >="))
    result = CliRunner().invoke(main, ["rules", "test", str(folder)])
    assert result.exit_code == 3 and "employes" in result.output and "规则测试 / rule tests" not in result.output


def test_the_example_applicants_file_has_one_deliberately_invalid_row() -> None:
    pop = read_population(Path(__file__).resolve().parent.parent / "examples" / "applicants.csv")
    assert pop.total == 11 and len(pop.profiles) == 10
    assert [r["row"] for r in pop.rejected] == [11] and "employees" in pop.rejected[0]["issues"][0]


def test_an_added_exclusive_group_is_a_structural_change(tmp_path: Path) -> None:
    second = (
        "  - id: other\n    title: {zh: 其他, en: other}\n    source: {document: 测试文件}\n"
        "    from: 2020-01-01\n    conditions: {when: employees > 1}\n"
    )
    base = PACK + second
    grouped = (
        base
        + "exclusive:\n  - {id: one_grant, policies: [staff_grant, other], source: {document: 测试文件, clause: 四}}\n"
    )
    old, new = load_pack(pack_dir(tmp_path, "base", base)), load_pack(pack_dir(tmp_path, "grouped", grouped))
    [change] = structural_diff(old, new)
    assert change.kind == "added" and change.section == "exclusive" and change.ident == "one_grant"
    assert change.words().startswith("+ 新增 added 不重复享受组 exclusive group one_grant")


def test_population_columns_equal_the_single_profile_evaluator() -> None:
    """Statuses, every leaf's state and amounts agree with engine.evaluate.evaluator row by row (full pack, generated rows)."""
    from engine.evaluate.evaluator import evaluate

    pack = load_pack(DEFAULT_RULES)
    pop = generate_population(300, seed=9)
    result = evaluate_population(pack, pop, DAY)
    for n in range(len(pop)):
        for decision in evaluate(pop.profile(n), pack, DAY).decisions:
            assert result.status[decision.id][n] == decision.status
            assert result.amount[decision.id][n] == pytest.approx(sum(b.amount or 0.0 for b in decision.benefits))
            stack = [decision.conditions]
            while stack:
                node = stack.pop()
                stack += node.children
                if not node.children:
                    assert result.leaves[decision.id][node.id][n] == node.status


def test_population_cells_are_read_as_a_screening_table_reads_them(tmp_path: Path) -> None:
    """One set of cell conventions (engine.batch.tabular.raw_cell): 真/假 and `称号|级别` titles in both."""
    from engine.batch.tabular import raw_cell

    path = tmp_path / "firms.csv"
    path.write_text(
        "企业名称,列入严重失信主体名单,持有称号\n甲,假,高新技术企业|national;创新型中小企业\n乙,真,无\n",
        encoding="utf-8",
    )
    first, second = read_population(path).profiles
    assert first.serious_dishonesty_list is False and second.serious_dishonesty_list is True
    assert [(t.title, t.level) for t in first.titles] == [
        ("high_tech_enterprise", "national"),
        ("innovative_sme", None),
    ]
    assert second.titles == []
    assert raw_cell("serious_dishonesty_list", "真") == "true"


def test_the_report_opens_with_the_change_and_shows_only_changed_policies(tmp_path: Path) -> None:
    old, new = both(tmp_path, PACK.replace("value: 10", "value: 20"))
    report = build_report("old", "new", old, new, make_population(FIRMS, "firms"), DAY)
    lines = report.text().splitlines()
    assert lines[2] == "摘要" and lines[3] == "  规则变化 1 处" and "value: 10 → 20" in lines[4]
    assert "结论变化 1 户（符合→不符合 1 户）" in lines[5] and "补助总额变化 -10.00 万元" in lines[6]
    english = report.text("en")
    assert "1 rule change(s)" in english and "1 of 4 applicants change status (eligible→ineligible 1)" in english
    page = render_html(report)
    assert page.index("摘要") < page.index("<section>") and "符合→不符合" in page and "@media print" in page
    assert "enough_staff met" not in page and "<script" not in page


def test_population_tables_go_through_the_screening_reader(tmp_path: Path) -> None:
    """One table reader (engine.batch.tabular.read_chunks) for the diff and screening: a workbook, a header
    with its unit (元 converted to 万元), a synonym, and rejected rows numbered from the first applicant."""
    import xlsxwriter

    path = tmp_path / "firms.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    rows = [
        ["企业名称", "营业收入（元）", "职工人数", "持有称号"],
        ["甲", 1_000_000, 12, "高新技术企业|national"],
        ["乙", 5, -3],
    ]
    for n, row in enumerate(rows):
        sheet.write_row(n, 0, row)
    book.close()
    pop = read_population(path)
    assert pop.total == 2 and pop.rows == [1] and pop.labels == ["#1 甲"]
    [firm] = pop.profiles
    assert firm.revenue == 100 and firm.employees == 12 and firm.titles[0].level == "national"
    assert [r["row"] for r in pop.rejected] == [2] and "employees" in pop.rejected[0]["issues"][0]
