"""The policy catalogue: generated from the rule files, deterministic, and committed up to date."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

from click.testing import CliRunner

from engine.authoring.catalogue import FILES, REFRESH, build
from engine.cli.main import main
from engine.language.loader import DEFAULT_RULES, load_pack

COMMITTED = Path(__file__).resolve().parent.parent / "docs" / "catalogue"

SMALL_PACK = """
parameters:
  - id: min_staff
    label: {zh: 最少人数, en: Minimum staff}
    unit: 人
    versions:
      - {from: 2022-06-01, to: 2026-03-31, value: 10, status: confirmed, source: {document: 甲文件, clause: 第一条}}
      - {from: 2026-04-01, value: 12, status: provisional, source: {document: 乙文件, clause: 第二条}}
scorecards:
  - id: demo_card
    label: {zh: 示例评分表, en: Demo scorecard}
    source: {document: 甲文件, clause: 附件}
    pass_at: 60
    groups:
      - id: g1
        label: {zh: 创新能力, en: Innovation}
        max: 60
        min: 20
        indicators:
          - id: rd_ratio
            label: {zh: 研发强度, en: R&D intensity}
            max: 30
            brackets:
              of: rd_expense / revenue
              rows:
                - {ge: 0.05, points: 30}
                - {ge: 0.03, lt: 0.05, points: 20, status: assumed, note: 边界取含下限}
            source: {document: 甲文件, clause: 附件一}
          - id: patents
            label: {zh: 专利, en: Patents}
            max: 20
            best_of:
              - {of: invention_patents, rows: [{ge: 2, points: 20}]}
              - {of: utility_models, rows: [{ge: 5, points: 10}]}
          - id: staff
            label: {zh: 研发人员, en: R&D staff}
            max: 10
            status: provisional
            cases:
              - {when: rd_staff >= min_staff, points: 10}
            otherwise: 0
      - id: g2
        label: {zh: 其他, en: Other}
        max: 40
        indicators:
          - id: items
            label: {zh: 加分项, en: Extras}
            max: 20
            items:
              - {when: "has_title('high_tech_enterprise')", points: 10}
          - id: formula
            label: {zh: 公式分, en: Formula points}
            max: 20
            formula: min(20, trademarks)
    direct_routes:
      - {id: giant, label: {zh: 小巨人直通, en: Little giant route}, when: "has_title('little_giant')", status: assumed}
policies:
  - id: demo_designation
    kind: designation
    title: {zh: 示例认定, en: Demo designation}
    source: {document: 甲文件, clause: 第三条, quote: 原文摘录}
    from: 2022-06-01
    to: 2026-03-31
    grants: [specialized_sme]
    conditions: {all: [{when: demo_card_passed, label: {zh: 评分达标, en: Score passes}}]}
  - id: demo_designation
    kind: designation
    title: {zh: 示例认定（新版）, en: Demo designation (new)}
    source: {document: 乙文件, clause: 第三条}
    from: 2026-04-01
    status: provisional
    conditions: {when: demo_card_passed}
"""


class TagBalance(HTMLParser):
    VOID = {"meta", "br"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1] == tag:
            self.stack.pop()
        else:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")


def balanced(page: str) -> bool:
    parser = TagBalance()
    parser.feed(page)
    return not parser.errors and not parser.stack


def test_committed_catalogue_is_current() -> None:
    fresh = build(load_pack(DEFAULT_RULES))
    for name in FILES:
        path = COMMITTED / name
        assert path.exists(), f"{path} is missing: run `{REFRESH}`"
        assert path.read_text(encoding="utf-8") == fresh[name], (
            f"docs/catalogue/{name} is stale (the rule files changed): run `{REFRESH}` and commit the result"
        )


def test_output_is_deterministic_and_self_contained() -> None:
    first, second = build(load_pack(DEFAULT_RULES)), build(load_pack(DEFAULT_RULES))
    assert first == second
    page = first["catalogue.html"]
    assert str(DEFAULT_RULES) not in first["catalogue.md"] + page
    assert "http" not in page and "<script" not in page and "<link" not in page
    assert balanced(page)


def test_every_assumed_parameter_version_is_listed() -> None:
    pack = load_pack(DEFAULT_RULES)
    text = build(pack)["catalogue.md"]
    table = text[text.index("## 待确认") :]
    for ident, param in pack.parameters.items():
        for version in param.versions:
            row = f"`{ident}` ({version.valid_from})"
            assert (row in table) == (version.status != "confirmed"), row


def test_scorecards_designations_and_dated_versions(tmp_path: Path) -> None:
    (tmp_path / "demo.yaml").write_text(SMALL_PACK, encoding="utf-8")
    out = build(load_pack(tmp_path))
    md, page = out["catalogue.md"], out["catalogue.html"]
    for text in (
        "### 示例评分表 / Demo scorecard",
        "总分达标线 pass at：≥ 60",
        "创新能力 / Innovation（满分 max 60，最低 min 20）",
        "研发费用 ÷ 营业收入｜R&D expense ÷ Operating revenue ≥ 5% → 30 分",
        "≥ 3% 且 < 5% → 20 分 〔假设 assumed〕（边界取含下限）",
        "取高 best of #2: 实用新型专利数｜Utility-model patents ≥ 5 件 → 10 分",
        "其他 otherwise → 0 分",
        "每项 each: 持有有效的高新技术企业称号｜",
        "公式 formula: min(20, 有效注册商标数)｜min(20, Registered trademarks)",
        "小巨人直通 / Little giant route",
        "## 认定 / Designations",
        "示例认定（新版） / Demo designation (new)",
        "2022-06-01 起，至 2026-03-31",
        "授予称号 grants：`specialized_sme`",
        "甲文件 第三条「原文摘录」",
        "最少人数（按日期取值，见参数表）",
    ):
        assert text in md, text
    table = md[md.index("## 待确认") :]
    for where in (
        "`min_staff` (2026-04-01)",
        "`demo_card` › `rd_ratio`",
        "`demo_card` › `staff`",
        "`demo_card` › `giant`",
        "`demo_designation` (2026-04-01)",
    ):
        assert where in table, where
    assert "`min_staff` (2022-06-01)" not in table
    assert balanced(page)


def test_cli_writes_both_files_and_reports_bad_rules(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["rules", "docs", str(DEFAULT_RULES), "-o", str(tmp_path / "cat")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "cat").iterdir()) == sorted(FILES)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.yaml").write_text("policies: [{id: p}]\n", encoding="utf-8")
    result = runner.invoke(main, ["rules", "docs", str(bad), "-o", str(tmp_path / "out")])
    assert result.exit_code == 3
    assert "规则包加载失败 / the rule pack failed to load" in result.output
    assert "x.yaml:1" in result.output
