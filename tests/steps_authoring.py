"""Chinese Gherkin steps for the policy author's story (features/规则修订.feature).

Imported by conftest.py. The author copies the rules, edits a parameter in the copy,
reads the diff over a list of applicants, and runs the rule tests on the copy.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pytest_bdd import given, parsers, then, when

from engine.authoring.diff import STATUS_ZH
from engine.cli.main import main
from engine.language.loader import RulePack, pack_files, read_yaml

ZH_STATUS = {zh: en for en, zh in STATUS_ZH.items()}
BOOL_ZH = {"是": True, "否": False}


@pytest.fixture
def authoring() -> dict[str, Any]:
    return {}


def parameter_id(pack: RulePack, name: str) -> str:
    """A parameter by id, Chinese name or Chinese label."""
    ident = pack.aliases.get(name, name)
    if ident in pack.parameters:
        return ident
    found = [k for k, p in pack.parameters.items() if p.label.zh == name]
    assert found, f"no parameter named {name!r}"
    return found[0]


def set_parameter_value(root: Path, ident: str, value: str) -> Path:
    """Rewrite the value of the latest version of a parameter in place, on its own line."""
    for path in pack_files(root):
        raw = read_yaml(path, str(path))
        items = raw.get("parameters") if isinstance(raw, dict) else None
        for item in items or []:
            if item.get("id") == ident:
                latest = max(item["versions"], key=lambda v: v["from"])
                line = latest.lines["value"] - 1
                lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
                lines[line], count = re.subn(r"(value:\s*)[^,}\s]+", rf"\g<1>{value}", lines[line], count=1)
                assert count == 1, f"{path}:{line + 1}: no value to replace"
                path.write_text("".join(lines), encoding="utf-8")
                return path
    raise AssertionError(f"parameter {ident!r} not found under {root}")


def _cell(text: str) -> Any:
    text = text.strip()
    return BOOL_ZH.get(text, text)


@given("申请人名单", target_fixture="applicants")
def applicant_list(datatable: list[list[str]]) -> list[dict[str, Any]]:
    header, *rows = datatable
    return [{h.strip(): _cell(v) for h, v in zip(header, row) if v.strip()} for row in rows]


@given("复制一份规则")
def copy_rules(authoring: dict[str, Any], pack: RulePack, tmp_path: Path) -> None:
    authoring["copy"] = tmp_path / "rules-copy"
    shutil.copytree(pack.root, authoring["copy"])


@when(parsers.parse('把副本中参数 "{name}" 改为 "{value}"'))
def edit_copy(authoring: dict[str, Any], pack: RulePack, name: str, value: str) -> None:
    set_parameter_value(authoring["copy"], parameter_id(pack, name), value)


@when(parsers.parse('按 "{day}" 比较原规则与副本'))
def run_diff(
    authoring: dict[str, Any], pack: RulePack, applicants: list[dict[str, Any]], tmp_path: Path, day: str
) -> None:
    population = tmp_path / "applicants.json"
    population.write_text(json.dumps(applicants, ensure_ascii=False), encoding="utf-8")
    result = CliRunner().invoke(
        main,
        [
            "rules",
            "diff",
            str(pack.root),
            str(authoring["copy"]),
            "--population",
            str(population),
            "--as-of",
            day,
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    authoring["diff"] = json.loads(result.output)


@then(parsers.parse('差异报告列出参数 "{name}" 由 "{old}" 改为 "{new}"'))
def diff_lists_parameter(authoring: dict[str, Any], pack: RulePack, name: str, old: str, new: str) -> None:
    ident = parameter_id(pack, name)
    changes = [c for c in authoring["diff"]["changes"] if c["section"] == "parameters" and c["id"] == ident]
    assert [(str(c["old"]), str(c["new"])) for c in changes] == [(old, new)], changes


def _flips(authoring: dict[str, Any], pack: RulePack, policy: str) -> dict[str, Any]:
    ident = pack.aliases.get(policy, policy)
    return next(p for p in authoring["diff"]["policies"] if p["policy"] == ident)


@then(parsers.parse('"{policy}" 的结论变化为'))
def flips_are(
    authoring: dict[str, Any], pack: RulePack, applicants: list[dict[str, Any]], policy: str, datatable: list[list[str]]
) -> None:
    """Exactly these applicants flip (every other one keeps its decision), for these conditions."""
    flips = _flips(authoring, pack, policy)
    header, *rows = datatable
    want = [dict(zip([h.strip() for h in header], [c.strip() for c in row])) for row in rows]
    got = [
        {
            "企业名称": applicants[x["row"] - 1].get("企业名称", f"#{x['row']}"),
            "原结论": STATUS_ZH[x["old"]],
            "新结论": STATUS_ZH[x["new"]],
            "原因条件": "、".join(c["id"] for c in x["conditions"]),
        }
        for x in flips["examples"]
    ]
    assert flips["flipped"] == len(want), flips["transitions"]
    assert got == want


@then(parsers.parse('补助总额变化为 "{amount}" 万元'))
def budget_change(authoring: dict[str, Any], amount: str) -> None:
    total = sum(p["amount_change"] for p in authoring["diff"]["policies"])
    assert total == pytest.approx(float(amount))


@then(parsers.parse('副本中与 "{keyword}" 相关的规则测试已运行'))
def copy_tests_ran(authoring: dict[str, Any], keyword: str) -> None:
    # only the scenarios the edit concerns (-k), so that the suite does not run itself twice over
    result = CliRunner().invoke(main, ["rules", "test", str(authoring["copy"]), "-k", keyword])
    assert result.exit_code in (0, 1), result.output  # 0 all passed, 1 some failed: the tests ran
    assert re.search(r"\d+ (passed|failed)", result.output), result.output


@then(parsers.parse('副本的规则测试未通过，并指出场景 "{scenario}"'))
def copy_tests_fail(authoring: dict[str, Any], scenario: str) -> None:
    result = CliRunner().invoke(main, ["rules", "test", str(authoring["copy"]), "-k", scenario])
    assert result.exit_code == 1, result.output
    assert "FAILED" in result.output and scenario in result.output and "规则测试未通过" in result.output


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "authoring: scenarios that exercise the authoring tools (rules diff / test)")


# conftest.py star-imports this module: export only the fixtures, the step definitions and the
# hook, so that no helper name here can shadow one of conftest's.
__all__ = [name for name in list(globals()) if name.startswith("pytestbdd_")] + ["authoring", "pytest_configure"]
