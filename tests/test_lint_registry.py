"""Lint is one check per module (issue 16): each module in engine/authoring/checks has a What / Why / Example
docstring and stable codes, is registered once, and docs/rules.md carries the generated reference."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.authoring import checks
from engine.authoring.checks import REGISTRY
from engine.authoring.checks_doc import BEGIN, END, PARTS, parts_of, reference, with_reference
from engine.authoring.lintbase import Check
from engine.cli.main import main

RULES_DOC = Path(__file__).parent.parent / "docs" / "rules.md"
MODULES = sorted(p.stem for p in Path(checks.__file__).parent.glob("*.py") if p.stem != "__init__")


def test_every_check_module_is_registered_once() -> None:
    assert sorted(c.name for c in REGISTRY) == MODULES


@pytest.mark.parametrize("check", REGISTRY, ids=lambda c: c.name)
def test_every_check_says_what_why_example(check: Check) -> None:
    found = parts_of(check)
    assert [p for p in ("summary", *PARTS) if not found.get(p)] == []


def test_codes_are_stable_and_unique_to_a_check() -> None:
    owners = [code for c in REGISTRY for code in c.codes]
    assert len(owners) == len(set(owners))
    assert all(code == code.lower() and " " not in code for code in owners)


def test_the_lint_checks_section_of_docs_rules_md_is_current() -> None:
    text = RULES_DOC.read_text(encoding="utf-8")
    assert BEGIN in text and END in text
    assert with_reference(text) == text, "stale: run `ipcheck rules checks --write docs/rules.md`"


def test_the_command_prints_and_writes_the_reference(tmp_path: Path) -> None:
    printed = CliRunner().invoke(main, ["rules", "checks"])
    assert printed.exit_code == 0 and printed.output.strip() == reference()
    doc = tmp_path / "rules.md"
    doc.write_text("# Rules\n", encoding="utf-8")
    written = CliRunner().invoke(main, ["rules", "checks", "--write", str(doc)])
    assert written.exit_code == 0 and doc.read_text(encoding="utf-8") == with_reference("# Rules\n")
