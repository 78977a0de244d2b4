"""Card re-scoring for what-if (StatusEvaluator.rescore): a status run under a change set, worked out from the
card's indicator points, is the plain run's, byte for byte, on boundary profiles (missing facts among them)."""

from __future__ import annotations

from typing import Any

import pytest

from engine.authoring.boundaries import boundaries
from engine.evaluate import whatif
from engine.evaluate.evaluator import evaluate
from engine.evaluate.status import Statuses, StatusEvaluator, compiled
from engine.evaluate.strength import CARD, SCORE, enrich, overall_of
from engine.language.loader import DEFAULT_RULES, load_pack
from engine.model.profile import FIELDS, field_kind


@pytest.fixture(scope="module")
def pack():
    return load_pack(DEFAULT_RULES)


def everything(result: Statuses) -> tuple[Any, ...]:
    """All a status run holds, in its order: values, facts, decisions and scores with what settles them."""
    return (
        list(result.values.items()),
        list(result.facts.items()),
        [(k, d.status, d.unmet, d.unknown, d.amount, d.missing, d._states) for k, d in result.decisions.items()],
        [(k, c.total, c.low, c.high, c.passed, c.points, c.missing) for k, c in result.scorecards.items()],
        {name: result.missing.name(name) for name in result.values},
        result.broken,
    )


def changes_to_try(pack, card_id: str, base: Statuses, profile) -> list[dict[str, Any]]:
    """The candidate changes what-if makes, and each fact the card reads made unknown, or known when it is not."""
    ev = whatif.Probe(profile, pack, base.as_of, base)
    found = [c for c in whatif.candidate_changes(ev, pack.scorecards[card_id]) if "titles" not in c]
    for name in sorted(whatif.readers(pack, card_id)):
        if name in FIELDS and field_kind(name) in ("integer", "number", "bool"):
            known = base.values.get(name) is not None
            found.append({name: None if known else (True if field_kind(name) == "bool" else 3)})
    return found


def rescored_as_run(pack, card_id: str, targets, cases) -> int:
    """Every change to try on each case re-scored and run: the same statuses where re-scored (how many were)."""
    checked = 0
    for profile, as_of in cases:
        fast = compiled(pack, as_of)
        base = fast.run(profile, targets)
        points = fast.indicators(card_id)
        for changes in changes_to_try(pack, card_id, base, profile):
            update = whatif.update_of(profile, changes)
            raw = tuple(value({**base.values, **update}) for value in points)
            got = fast.rescore(base, card_id, raw, update, targets)
            if got is not None:
                checked += 1
                assert everything(got) == everything(fast.run(vars(profile) | update, targets)), (card_id, changes)
    return checked


@pytest.mark.parametrize("targets", [(CARD, SCORE), (CARD,), None])
def test_a_card_rescored_from_its_points_is_the_run(pack, targets) -> None:
    cases = boundaries(pack).valid_cases(40, seed=11)
    assert rescored_as_run(pack, CARD, targets, cases) > 100  # most changes are re-scored, not declined


def test_every_card_of_the_pack(pack) -> None:
    cases = boundaries(pack).valid_cases(15, seed=12)
    counts = {card_id: rescored_as_run(pack, card_id, {card_id}, cases) for card_id in pack.scorecards}
    assert all(counts.values()), counts


def test_declined_where_another_rule_reads_a_changed_fact_or_the_titles(pack) -> None:
    profile, as_of = boundaries(pack).valid_cases(1, seed=13)[0]
    fast = compiled(pack, as_of)
    base = fast.run(profile)  # the whole pack: policies read revenue too
    raw = tuple(value(base.values) for value in fast.indicators(CARD))
    assert fast.rescore(base, CARD, raw, {"revenue": 10_000.0}) is None
    assert fast.rescore(base, CARD, raw, {"titles": []}, {CARD}) is None


def test_improvements_and_near_misses_are_those_of_plain_runs(pack, monkeypatch) -> None:
    """End to end: what-if with the card re-scored equals what-if with every candidate run."""
    cases = boundaries(pack).valid_cases(40, seed=14)

    def found() -> list[str]:
        out = []
        for profile, as_of in cases:
            imps = whatif.improvements(profile, pack, as_of, CARD, overall_of(pack, as_of), limit=50, needs=(SCORE,))
            out += [i.model_dump_json() for i in imps]
            out.append(enrich(evaluate(profile, pack, as_of), profile, pack, as_of).model_dump_json())
        return out

    fast = found()
    monkeypatch.setattr(StatusEvaluator, "rescore", lambda *a, **k: None)
    assert fast == found()


def test_a_fact_made_known_settles_the_card_and_what_reads_it(pack) -> None:
    """The card (and the score read from it) unknown for one missing fact, then known: what settled them before
    is not kept."""
    import json
    from pathlib import Path

    from engine.model.profile import parse_profile

    example = Path(__file__).resolve().parent.parent / "examples" / "ip_strength_manufacturer.json"
    firm = parse_profile(json.loads(example.read_text(encoding="utf-8")))
    as_of, targets = boundaries(pack).valid_cases(1, seed=15)[0][1], (CARD, SCORE)
    fast = compiled(pack, as_of)
    points, settled = fast.indicators(CARD), 0
    for name in sorted(whatif.readers(pack, CARD)):
        if name not in FIELDS or getattr(firm, name) is None:
            continue
        given = vars(firm) | {name: None}
        base = fast.run(given, targets)
        update = {name: getattr(firm, name)}
        raw = tuple(value({**base.values, **update}) for value in points)
        got = fast.rescore(base, CARD, raw, update, targets)
        if got is not None and base.scorecards[CARD].total is None and got.scorecards[CARD].total is not None:
            settled += 1
            assert everything(got) == everything(fast.run(vars(firm), targets)), name
    assert settled
