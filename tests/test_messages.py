"""Messages an author understands (issue 12): one error per broken file, YAML errors in Chinese at the
author's line with the line shown and a caret, "did you mean" for names, keys, titles and policy ids."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli.main import main
from engine.language.loader import DEFAULT_RULES, RuleLoadError, load_pack

BROKEN = "jiangbei/new_ip_service_firm.yaml"  # defines jiangbei_division_code, read by most district files


def issues_after(tmp_path: Path, old: str, new: str, name: str = BROKEN) -> list:
    folder = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, folder)
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(RuleLoadError) as err:
        load_pack(folder)
    return err.value.issues


def test_a_broken_yaml_file_is_one_chinese_error_at_the_line_of_the_open_brace(tmp_path: Path) -> None:
    old = "label: {zh: 重庆市江北区行政区划代码, en: Administrative division code of Jiangbei District}"
    [issue] = issues_after(tmp_path, old, old.removesuffix("}"))  # the names it defines are not "unknown" elsewhere
    assert issue.file.endswith(BROKEN) and issue.line == 8
    assert issue.message.startswith("花括号 { 未闭合") and "YAML error" in issue.message
    source, caret = issue.message.splitlines()[1:]
    assert source.strip().startswith("8 |") and "label: {zh:" in source and caret.strip() == "^"
    assert caret.index("^") == len(source) - len(source.lstrip()) + len("8 | ") + len("    label: ")


@pytest.mark.parametrize(
    "text, line, words",
    [
        ("policies:\n  - id: [unclosed\n", 2, "方括号 [ 未闭合"),
        ("policies:\n  - id: 'a\n    title: x\n", 2, "引号未闭合"),
        ("policies:\n  - id: a\n   title: x\n", 3, "缩进不一致"),
        ("policies:\n\t- id: a\n", 2, "不能用制表符"),
        ("policies:\n  - id: a: b\n", 2, "值中含冒号"),
        ("policies: 1\npolicies: 2\n", 2, "重复的键 'policies'"),
        ("a: &x 1\nb: *x\n", 2, "不允许使用 YAML 别名"),
        ("policies: " + "[" * 50_000 + "]" * 50_000 + "\n", 1, "嵌套超过"),
    ],
)
def test_yaml_errors_are_in_chinese_at_the_authors_line(tmp_path: Path, text: str, line: int, words: str) -> None:
    (tmp_path / "a.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(RuleLoadError) as err:
        load_pack(tmp_path)
    [issue] = err.value.issues
    assert issue.line == line and words in issue.message and "^" in issue.message


def test_rules_test_after_a_threshold_change_tells_the_author_in_chinese(tmp_path: Path) -> None:
    """Runs a few scenarios in a subprocess (as the command does): about 5 s on an idle machine."""
    folder = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, folder)
    path = folder / BROKEN
    path.write_text(
        path.read_text(encoding="utf-8").replace("        value: 3\n", "        value: 2\n", 1), encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["rules", "test", str(folder), "-k", "成立年限"])
    assert result.exit_code == 1 and "Traceback" not in result.output and "\\u" not in result.output
    assert "✗ 未通过 FAILED features/新设立知识产权服务企业.feature:" in result.output
    assert "（例子：成立日期 = 2024-11-01，结论 = 符合）" in result.output
    assert "期望 符合，实际 不符合；起作用的条件：成立日期至评估日期的整年数为 2，需 < 2" in result.output
    assert "规则测试未通过：2 个场景未通过，" in result.output
