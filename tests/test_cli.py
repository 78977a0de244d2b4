"""The command line as a firm uses it: a report, JSON, and clear errors with a non-zero exit."""

import json
from pathlib import Path

from click.testing import CliRunner

from engine.cli.main import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def test_report_lists_every_policy_with_citation() -> None:
    result = run("assess", str(EXAMPLES / "new_ip_service_firm.json"), "--as-of", "2026-11-01")
    assert result.exit_code == 0, result.output
    assert "新设立的知识产权服务企业政策支持" in result.output and "→ 符合" in result.output
    assert "江北府办发〔2023〕6号 二（一）2" in result.output


def test_english_report() -> None:
    result = run("assess", str(EXAMPLES / "new_ip_service_firm.json"), "--as-of", "2026-11-01", "--lang", "en")
    assert "Support for newly founded IP service firms" in result.output and "ELIGIBLE" in result.output


def test_json_has_the_pack_hash_and_decisions() -> None:
    result = run("assess", str(EXAMPLES / "new_ip_service_firm.json"), "--as-of", "2026-11-01", "--json")
    data = json.loads(result.output)
    assert len(data["rules_hash"]) == 16 and data["as_of"] == "2026-11-01"
    assert {d["id"]: d["status"] for d in data["decisions"]}["jb_new_ip_service_firm"] == "eligible"


def test_missing_fact_is_named(tmp_path: Path) -> None:
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"division_code": "500105", "industry_code": "7520", "serious_dishonesty_list": False}))
    result = run("assess", str(path), "--as-of", "2026-11-01")
    assert "待定" in result.output and "成立日期" in result.output


def test_invalid_profile_exits_non_zero_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"credit_code": "91350100M000100Y44", "revenue": -1}))
    result = run("assess", str(path))
    assert result.exit_code == 2
    assert "credit_code" in result.output and "revenue" in result.output and "Traceback" not in result.output


def test_malformed_json_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text("{not json")
    result = run("assess", str(path))
    assert result.exit_code == 2 and "bad.json:1:2" in result.output
    result = run("assess", str(tmp_path / "absent.json"))
    assert result.exit_code == 2 and "file not found" in result.output


def test_broken_rules_exit_with_the_line(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("derived:\n  - {id: x, label: {zh: 甲, en: x}, formula: 'nope +'}\n")
    result = run("assess", str(EXAMPLES / "new_ip_service_firm.json"), "--rules", str(tmp_path))
    assert result.exit_code == 3 and "x.yaml:2:" in result.output


def test_every_command_and_rules_subcommand_loads() -> None:
    """The batch, generate and authoring commands are imported when used (engine.cli.common.LazyGroup): each
    named one must resolve to a command with its help."""
    import click

    ctx = click.Context(main)
    rules = main.get_command(ctx, "rules")
    for group in (main, rules):
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None and command.name == name and command.help, name
    assert {"screen", "generate", "template", "policies"} <= set(main.list_commands(ctx))
    assert {"diff", "test", "docs", "functions", "checks", "lint"} <= set(rules.list_commands(ctx))


def test_the_command_line_starts_without_the_table_libraries() -> None:
    """`ipcheck assess` and `ipcheck rules lint` need neither pandas nor pyarrow (≈1 s to import)."""
    import subprocess
    import sys

    code = "import sys, api.cli; print(sorted({'pandas', 'pyarrow', 'numpy'} & set(sys.modules)))"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert shown.strip() == "[]"


def test_the_command_line_chunk_size_is_the_screeners() -> None:
    """engine.cli.screen repeats the default chunk size so that `ipcheck --help` need not import the batch modules;
    the two must not drift apart."""
    from engine.batch.tabular import CHUNK_ROWS
    from engine.cli.screen import CHUNK_ROWS as SHOWN

    assert SHOWN == CHUNK_ROWS
