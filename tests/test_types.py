"""Types in the rule language (issue 12): every attack edit is a load error at its file:line, in both languages."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli.main import main
from engine.language import expr as ex
from engine.language.loader import DEFAULT_RULES, RuleLoadError, load_pack
from engine.language.types import check_pack
from tests.support.attacks import ATTACKS, Attack


@pytest.fixture(scope="module")
def pack_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("pack") / "rules"
    shutil.copytree(DEFAULT_RULES, folder)
    return folder


@pytest.fixture
def attacked(pack_copy: Path, request: pytest.FixtureRequest) -> tuple[Attack, Path]:
    attack: Attack = request.param
    path = attack.drop(pack_copy)
    yield attack, path
    path.unlink()


@pytest.mark.parametrize("attacked", ATTACKS, ids=[a.name for a in ATTACKS], indirect=True)
def test_each_attack_edit_is_one_load_error_at_its_line(attacked: tuple[Attack, Path]) -> None:
    attack, path = attacked
    with pytest.raises(RuleLoadError) as err:
        load_pack(path.parent)
    [issue] = err.value.issues
    assert (issue.file, issue.line) == (str(path), attack.line)
    assert attack.expect in issue.message and " / " in issue.message  # Chinese and English


@pytest.mark.parametrize("attacked", ATTACKS, ids=[a.name for a in ATTACKS], indirect=True)
def test_lint_refuses_each_attack_edit_with_file_and_line(attacked: tuple[Attack, Path]) -> None:
    attack, path = attacked
    result = CliRunner().invoke(main, ["rules", "lint", str(path.parent)])
    assert result.exit_code == 1
    assert f"{path}:{attack.line}:" in result.output and "Traceback" not in result.output


def test_the_shipped_pack_has_a_type_for_every_name() -> None:
    pack = load_pack(DEFAULT_RULES)
    names, problems = check_pack(pack)
    assert problems == []
    assert names["revenue"].kind == "money" and names["registration_date"].kind == "date"
    assert names["legal_person"].kind == "bool" and names["employees"].kind == "integer"
    assert names["rd_institution_level"].values == {"district", "municipal", "provincial", "national"}
    assert names["sme_sector"].kind == "enum" and "industry" in names["sme_sector"].values
    assert all(names[ident].kind == "bool" for ident in pack.policies)


def write_policy(folder: Path, when: str) -> None:
    """The policy of the attacks with its condition (line 8) replaced; JSON quoting is YAML quoting."""
    text = ATTACKS[1].text.replace("registration_date * 2 > 1", json.dumps(when))
    (folder / "a.yaml").write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    "when, words",
    [
        ("revenue > 'abc'", "不能将金额（万元）与文本比较"),
        ("'abc' < 'abd'", "不能用 '<' 比较大小"),
        ("legal_person > 1", "不能将是/否与整数比较"),
        ("registration_date + 1 > 2", "不能对日期做算术运算"),
        ("revenue and legal_person", "'and' 需要 是/否 值"),
        ("revenue", "条件必须是 是/否"),
        ("years_between(revenue, as_of) > 1", "years_between() 的两个参数必须是日期"),
        ("has_title('high_tech_enterprize')", "是否想写 'high_tech_enterprise'"),
        ("has_title('high_tech_enterprise', 'provincal')", "未知级别 'provincal'"),
        ("one_of(rd_institution_level, 'national', 'nation')", "'nation' 不是可选值"),
        ("starts_with(employees, 'C')", "starts_with() 的参数必须是文本"),
        ("min(revenue, registration_date) > 1", "min() 的参数必须是数值"),
    ],
)
def test_type_errors_say_what_is_wrong(tmp_path: Path, when: str, words: str) -> None:
    write_policy(tmp_path, when)
    with pytest.raises(RuleLoadError) as err:
        load_pack(tmp_path)
    [issue] = err.value.issues
    assert issue.line == 8 and words in issue.message, issue.message


def test_well_typed_expressions_load(tmp_path: Path) -> None:
    for when in (
        "revenue * 2 >= 1",
        "years_between(registration_date, as_of) >= 3",
        "not legal_person",
        "rd_institution_level == 'national'",
        "industry_code == 'C39'",
        "legal_person == true",
        "rd_expense / revenue >= 3%",
    ):
        write_policy(tmp_path, when)
        load_pack(tmp_path)


def test_unknown_names_suggest_the_close_one_with_the_position_in_both_languages() -> None:
    known = {"registration_date": "registration_date", "revenue": "revenue"}
    with pytest.raises(ex.ExprError) as err:
        ex.parse("years_between(registraton_date, as_of) > 3", known.__getitem__, known)
    assert "是否想写 'registration_date'" in str(err.value) and "did you mean 'registration_date'" in str(err.value)
    assert "（第 15 个字符）" in str(err.value) and "(at character 15)" in str(err.value)


def test_literals_are_bounded_and_deep_chains_refused_without_recursion() -> None:
    with pytest.raises(ex.ExprError, match="超出范围"):
        ex.parse("1" * 400, {}.__getitem__)
    with pytest.raises(ex.ExprError, match="嵌套超过"):
        ex.parse("+".join(["1"] * 999), {}.__getitem__)
    assert ex.depth(ex.parse("+".join(["1"] * 20), {}.__getitem__)) == 20
