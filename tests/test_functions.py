"""The rule language's functions: the registry, their documentation, and `round_to`.

Both evaluators, the explanation and lint take each function from the registry; the batch
equivalence over every function is tests/test_batch_differential.py (its pack uses each one).
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.authoring.functions_doc import BEGIN, END, missing_parts, parts_of, reference, with_reference
from engine.authoring.lint import lint_pack
from engine.cli.main import main
from engine.evaluate.evaluator import evaluate
from engine.language import expr as ex
from engine.language.functions import REGISTRY, SCALAR
from engine.language.functions.round_to import round_to
from engine.language.loader import DEFAULT_RULES, load_pack
from engine.model.profile import FIELDS, parse_profile

ROOT = Path(__file__).resolve().parents[1]
RULES_DOC = ROOT / "docs" / "rules.md"


def test_every_function_module_is_registered_and_parsed() -> None:
    modules = {p.stem for p in (ROOT / "engine" / "language" / "functions").glob("*.py")} - {"__init__"}
    assert modules == set(REGISTRY) == set(ex.FUNCTIONS)
    assert set(SCALAR) == {n for n, f in REGISTRY.items() if f.reads is None}


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_each_function_is_documented_with_what_why_and_a_working_example(name: str) -> None:
    function = REGISTRY[name]
    assert not missing_parts(function), f"{name}: its module docstring lacks {missing_parts(function)}"
    example = re.match(r"`([^`]+)`", parts_of(function)["Example"])
    assert example and f"{name}(" in example[1]
    pack = load_pack(DEFAULT_RULES)
    known = set(FIELDS) | set(pack.parameters) | set(pack.derived) | {"as_of"}
    ex.parse(example[1], lambda n: n if n in known else (_ for _ in ()).throw(KeyError(n)))


def test_the_functions_section_of_docs_rules_md_is_current() -> None:
    text = RULES_DOC.read_text(encoding="utf-8")
    assert BEGIN in text and END in text
    assert with_reference(text) == text, "stale: run `ipcheck rules functions --write docs/rules.md`"
    assert all(f"### `{f.signature}`" in text for f in REGISTRY.values())


def test_functions_command_prints_and_writes_the_reference(tmp_path: Path) -> None:
    printed = CliRunner().invoke(main, ["rules", "functions"])
    assert printed.exit_code == 0 and printed.output.strip() == reference()
    doc = tmp_path / "rules.md"
    doc.write_text("# Rules\n\nbefore\n", encoding="utf-8")
    assert CliRunner().invoke(main, ["rules", "functions", "--write", str(doc)]).exit_code == 0
    once = doc.read_text(encoding="utf-8")
    assert once.startswith("# Rules\n\nbefore\n") and once.count(BEGIN) == 1 and "### `round_to(x, step)`" in once
    assert CliRunner().invoke(main, ["rules", "functions", "--write", str(doc)]).exit_code == 0
    assert doc.read_text(encoding="utf-8") == once  # replaced in place, not appended again


def test_missing_parts_names_what_a_docstring_lacks() -> None:
    function = REGISTRY["abs"]
    bare = type(function)(**{**function.__dict__, "doc": "`abs(x)`: the absolute value.\n\nWhat: x without sign."})
    assert missing_parts(bare) == ["Why", "Example"]


# --- round_to ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x", "step", "want"),
    [
        (2.675, 0.01, 2.68),  # decimal, not binary: 2.675 is 2.67499999... as a float
        (2.5, 1, 3.0),
        (-2.5, 1, -3.0),  # halves away from zero (四舍五入), not to even
        (1234.5678, 0.01, 1234.57),
        (7.26, 0.5, 7.5),
        (0.1 + 0.2, 0.1, 0.3),
        (12, 5, 10.0),
        (1e300, 1e-300, 1e300),  # no precision trap at the ends of the float range
    ],
)
def test_round_to_rounds_to_the_nearest_multiple(x: float, step: float, want: float) -> None:
    assert round_to(x, step) == want


@pytest.mark.parametrize(("x", "step"), [(None, 0.01), (1.5, None), (1.5, 0), (1.5, -1), (float("inf"), 1)])
def test_round_to_is_unknown_without_a_number_and_a_positive_step(x: float | None, step: float | None) -> None:
    assert round_to(x, step) is None


PACK = """\
derived:
  - id: subsidy
    label: {zh: 贴息金额, en: Interest subsidy}
    unit: 万元
    formula: round_to(pledge_interest_paid * 50%, 0.01)
  - id: subsidy_range
    label: {zh: 贴息档次, en: Subsidy band}
    brackets:
      of: round_to(min(pledge_interest_paid, 10), 1)
      rows:
        - {lt: 20, value: low}
        - {ge: 20, value: high}
"""


def test_round_to_in_a_rule_is_evaluated_explained_and_linted(tmp_path: Path) -> None:
    (tmp_path / "pack.yaml").write_text(PACK, encoding="utf-8")
    pack = load_pack(tmp_path)
    result = evaluate(parse_profile({"pledge_interest_paid": 3.335}), pack, date(2025, 6, 30))
    assert result.facts["subsidy"] == 1.67  # 1.6675 -> 1.67
    assert evaluate(parse_profile({}), pack, date(2025, 6, 30)).facts["subsidy"] is None
    unreachable = [f for f in lint_pack(pack) if f.code == "bracket-unreachable"]
    assert len(unreachable) == 1 and "[-0.5, 10.5]" in unreachable[0].en  # round_to's range: within half a step


def test_round_to_in_words() -> None:
    words = REGISTRY["round_to"].words
    assert words(["贴息", "0.01"], "zh") == "四舍五入（贴息，精确到 0.01）"  # bracketed: unambiguous inside a formula
    assert words(["subsidy", "0.01"], "en") == "round_to(subsidy, 0.01)"
