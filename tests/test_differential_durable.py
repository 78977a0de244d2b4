"""Differential test: the evaluator and the durable-rules oracle must agree on every decision.

Profiles are generated from the pack itself (engine.authoring.boundaries): values on and either
side of every threshold the policies read, matching and near-miss prefixes and
options, and any field missing. Two packs are checked: the real one in rules/, and a
synthetic coverage pack (tests/data/oracle_coverage) that uses every construct of the
expression language, since the real pack does not use them all.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("durable")

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from engine.authoring.boundaries import Boundaries, boundaries
from engine.evaluate.evaluator import evaluate
from engine.language.loader import DEFAULT_RULES, RulePack, load_pack
from engine.model.profile import ProfileInputError, parse_profile
from tests.support import oracle
from tests.support.oracle import OracleError, OracleEvaluator, OracleUnsupported

COVERAGE = Path(__file__).parent / "data" / "oracle_coverage"
PACKS = {"rules": load_pack(DEFAULT_RULES), "coverage": load_pack(COVERAGE)}
ORACLES = {name: OracleEvaluator(pack) for name, pack in PACKS.items()}
BOUNDS = {name: boundaries(pack) for name, pack in PACKS.items()}
EXAMPLES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def cases(draw: Any, bounds: Boundaries) -> tuple[dict[str, Any], date]:
    return bounds.draw(lambda seq: draw(st.sampled_from(list(seq))))


def check_agreement(name: str, data: dict[str, Any], as_of: date) -> None:
    try:
        profile = parse_profile(data)
    except ProfileInputError:
        assume(False)
        return
    pack: RulePack = PACKS[name]
    expected = {d.id: d.status for d in evaluate(profile, pack, as_of).decisions}
    assert ORACLES[name].decide(profile, as_of) == expected, (data, as_of)


@EXAMPLES
@given(cases(BOUNDS["rules"]))
def test_oracle_agrees_on_the_rule_pack(case: tuple[dict[str, Any], date]) -> None:
    check_agreement("rules", *case)


@EXAMPLES
@given(cases(BOUNDS["coverage"]))
def test_oracle_agrees_on_every_construct(case: tuple[dict[str, Any], date]) -> None:
    check_agreement("coverage", *case)


def test_boundaries_follow_the_pack() -> None:
    bounds = BOUNDS["rules"]
    policy_fields = {"division_code", "industry_code", "ip_service_business", "serious_dishonesty_list"}
    assert policy_fields <= bounds.fields.keys()
    assert "500105" in bounds.fields["division_code"]  # the parameter's value ...
    assert len(bounds.fields["division_code"]) > 1  # ... and a near miss
    assert bounds.year_offsets["registration_date"] >= {2, 3, 4}  # new_firm_max_years = 3, either side


def test_every_decision_value_is_reached_on_the_coverage_pack() -> None:
    """The generator is not degenerate: each of the three statuses occurs."""
    import random

    rng = random.Random(7)
    seen: set[str] = set()
    for _ in range(200):
        data, as_of = BOUNDS["coverage"].draw(rng.choice)
        try:
            profile = parse_profile(data)
        except ProfileInputError:
            continue
        seen |= set(ORACLES["coverage"].decide(profile, as_of).values())
    assert seen == {"eligible", "ineligible", "undetermined"}


def test_session_state_is_deleted_even_when_durable_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    deleted: list[str] = []
    real_delete = oracle._HOST.delete_state

    def fail(*_: Any) -> None:
        raise RuntimeError("engine failure")

    def record(name: str, sid: str) -> None:
        deleted.append(sid)
        real_delete(name, sid)

    monkeypatch.setattr(oracle._HOST, "assert_fact", fail)
    monkeypatch.setattr(oracle._HOST, "delete_state", record)
    with pytest.raises(OracleError):
        ORACLES["rules"].decide(parse_profile({}), date(2026, 1, 1))
    assert len(deleted) == 1


def test_unsupported_constructs_are_refused_when_compiling(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(
        "policies:\n"
        "  - id: odd\n"
        "    title: {zh: 测试, en: test}\n"
        "    source: {document: test}\n"
        "    from: 2020-01-01\n"
        "    conditions: {when: 'min(employees, rd_staff) + 1 > 2'}\n",
        encoding="utf-8",
    )
    with pytest.raises(OracleUnsupported, match="arithmetic"):
        OracleEvaluator(load_pack(tmp_path))


def test_a_condition_too_wide_for_durable_rules_is_refused_when_compiling(tmp_path: Path) -> None:
    """one_of() with 60 options puts 60 tests under one node: past the stack budget."""
    options = ", ".join(f"'{n:04d}'" for n in range(60))
    (tmp_path / "p.yaml").write_text(
        "policies:\n"
        "  - id: wide\n"
        "    title: {zh: 测试, en: test}\n"
        "    source: {document: test}\n"
        "    from: 2020-01-01\n"
        f'    conditions: {{when: "one_of(industry_code, {options})"}}\n',
        encoding="utf-8",
    )
    with pytest.raises(OracleUnsupported, match="alpha nodes"):
        OracleEvaluator(load_pack(tmp_path))


def test_oracle_is_safe_to_call_from_several_threads() -> None:
    """One host, one lock: concurrent callers get the same decisions as the evaluator."""
    from concurrent.futures import ThreadPoolExecutor

    cases = BOUNDS["coverage"].valid_cases(200, seed=11)
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda case: ORACLES["coverage"].decide(*case), cases))
    expected = [{d.id: d.status for d in evaluate(p, PACKS["coverage"], day).decisions} for p, day in cases]
    assert got == expected


def test_every_ruleset_stays_under_the_alpha_stack_of_durable_rules() -> None:
    """The full pack needs several rulesets; each is under the bound with a margin."""
    chunks = ORACLES["rules"].compiled.chunks
    assert len(chunks) > 1
    assert all(chunk.stack <= oracle.STACK_BUDGET < oracle.STACK_LIMIT for chunk in chunks)
    atoms = [chunk.atoms for chunk in chunks]
    assert set().union(*atoms) == set(range(sum(map(len, atoms))))  # each atom in exactly one ruleset


def test_the_stack_bound_matches_durable_rules() -> None:
    """The bound is checked against the installed durable-rules, in a subprocess: going past
    the stack is error 303 and may corrupt the heap."""
    import subprocess
    import sys

    from durable.lang import value, when_all

    def rules(siblings: int) -> list[dict[str, Any]]:
        profile = value("$m", oracle.KIND) == "profile"
        return [when_all(profile & (value("$m", f"f{n}") > 0.0))(print).define() for n in range(siblings)]

    script = (
        "import sys\n"
        "from tests.support.oracle import _Host, KIND\n"
        "from durable.lang import value, when_all\n"
        "n = int(sys.argv[1])\n"
        "host = _Host()\n"
        "host.register_rulesets({'s': {f'r{k}': when_all((value('$m', KIND) == 'profile')"
        " & (value('$m', f'f{k}') > 0.0))(lambda c: None).define() for k in range(n)}})\n"
        "try:\n"
        "    host.assert_fact('s', {'sid': '1', KIND: 'profile', **{f'f{k}': 1.0 for k in range(n)}})\n"
        "    print('ok')\n"
        "except Exception as e:\n"
        "    print(e)\n"
    )
    root = Path(__file__).resolve().parent.parent
    for siblings, fits in ((oracle.STACK_LIMIT, True), (oracle.STACK_LIMIT + 1, False)):
        assert (oracle._stack_bound(rules(siblings)) <= oracle.STACK_LIMIT) is fits
        done = subprocess.run(
            [sys.executable, "-c", script, str(siblings)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=root,
            env={"PYTHONPATH": str(root), "PATH": ""},
        )
        assert done.stdout.strip() == ("ok" if fits else "Could not assert fact, error code: 303"), done.stderr


def test_only_tables_and_scorecards_are_precomputed() -> None:
    """Formula facts are computed by durable-rules; only cases / lookup / brackets and scorecards come
    from the evaluator (see tests.support.oracle)."""
    pack = PACKS["rules"]
    for name in ORACLES["rules"].compiled.precomputed:
        derived = pack.derived.get(name)
        assert (derived is not None and derived.formula is None) or name.removesuffix("_passed") in pack.scorecards
