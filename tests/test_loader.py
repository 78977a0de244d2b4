"""Loading rule packs: every error names its file and line; hostile files are refused."""

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.cli.main import main
from engine.language.loader import DEFAULT_RULES, RuleLoadError, load_pack

POLICY = """\
policies:
  - id: demo
    title: {zh: 示例, en: Demo}
    source: {document: 示例文件, clause: 一}
    from: 2023-01-01
    conditions:
      all:
        - when: employees >= 10
        - when: %s
"""


def write(tmp_path: Path, text: str, name: str = "a.yaml") -> Path:
    (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def issues_of(folder: Path) -> list[str]:
    with pytest.raises(RuleLoadError) as err:
        load_pack(folder)
    return [str(i) for i in err.value.issues]


def test_the_shipped_pack_loads() -> None:
    pack = load_pack(DEFAULT_RULES)
    assert "jb_new_ip_service_firm" in pack.policies
    assert len(pack.hash) == 16


def test_unknown_name_points_to_its_line(tmp_path: Path) -> None:
    [issue] = issues_of(write(tmp_path, POLICY % "employes > 3"))
    assert issue.startswith(f"{tmp_path / 'a.yaml'}:9:") and "unknown name 'employes'" in issue


def test_escape_attempt_in_a_rule_file_is_refused_at_its_line(tmp_path: Path) -> None:
    [issue] = issues_of(write(tmp_path, POLICY % "__import__('os').system('true')"))
    assert ":9:" in issue and "not allowed" in issue


def test_schema_errors_name_the_field_and_line(tmp_path: Path) -> None:
    text = (POLICY % "employees < 100").replace("    source: {document: 示例文件, clause: 一}\n", "")
    [issue] = issues_of(write(tmp_path, text))
    assert ":2:" in issue and "source" in issue and "Field required" in issue


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    [issue] = issues_of(write(tmp_path, "policies:\n  - id: [unclosed\n"))
    assert "YAML" in issue and (":3:" in issue or ":2:" in issue)


@pytest.mark.parametrize("text", ["", "\n  \n", "# 只有注释\n"])
def test_an_empty_rule_file_is_refused(tmp_path: Path, text: str) -> None:
    # an editor saving by truncate-then-write shows the watcher an empty file for a moment; a pack
    # without that file's rules (a whole policy gone) loaded and linted clean and would have served
    write(tmp_path, POLICY % "employees < 100")
    [issue] = issues_of(write(tmp_path, text, "b.yaml"))
    assert issue.startswith(f"{tmp_path / 'b.yaml'}:1:") and "规则文件为空" in issue and "empty" in issue


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("a: &x [1]\nb: *x\n", "aliases are not allowed"),
        ("policies: []\npolicies: []\n", "duplicate key"),
        ("x: !!python/object/apply:os.system ['true']\n", "YAML error"),
        ("{a: 1}: 2\n", "a key must be a plain value"),  # crashed the linter with a TypeError
        ("policies:\n  ? [a]\n  : 1\n", "键必须是简单的值"),
        ("policies:\n  - {from: 2023-02-30}\n", "无效的值 '2023-02-30'：不是有效的日期或数字"),  # was a ValueError
        ("x: !!int 'ten'\n", "invalid value 'ten'"),
    ],
)
def test_hostile_yaml_is_refused(tmp_path: Path, text: str, fragment: str) -> None:
    [issue] = issues_of(write(tmp_path, text))
    assert fragment in issue


def test_cycles_are_load_errors(tmp_path: Path) -> None:
    text = """\
derived:
  - {id: x, label: {zh: 甲, en: x}, formula: y + 1}
  - {id: y, label: {zh: 乙, en: y}, formula: x + 1}
"""
    [issue] = issues_of(write(tmp_path, text))
    assert "dependency cycle" in issue


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    write(tmp_path, "derived:\n  - {id: x, label: {zh: 甲, en: x}, formula: '1'}\n", "a.yaml")
    write(tmp_path, "derived:\n  - {id: x, label: {zh: 甲, en: x}, formula: '2'}\n", "b.yaml")
    assert any("already defined" in i for i in issues_of(tmp_path))


def test_overlapping_policy_versions(tmp_path: Path) -> None:
    one = POLICY % "employees < 100"
    two = one.replace("policies:\n", "").replace("from: 2023-01-01", "from: 2024-01-01")
    [issue] = issues_of(write(tmp_path, one + two))
    assert "overlap" in issue


def test_lint_finds_an_error_injected_into_a_copy_of_the_rules(tmp_path: Path) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(DEFAULT_RULES, copy)
    target = copy / "jiangbei" / "new_ip_service_firm.yaml"
    lines = target.read_text(encoding="utf-8").splitlines()
    line_no = next(n for n, line in enumerate(lines, 1) if "when: division_code == jiangbei_division_code" in line)
    lines[line_no - 1] = lines[line_no - 1].replace("division_code ==", "division_cod ==")
    target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["rules", "lint", str(copy)])
    assert result.exit_code == 1
    assert f"{target}:{line_no}:" in result.output and "division_cod" in result.output


def test_lint_passes_on_the_shipped_pack() -> None:
    result = CliRunner().invoke(main, ["rules", "lint"])
    assert result.exit_code == 0, result.output
