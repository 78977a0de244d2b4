"""An evaluation leaves nothing for Python's cycle collector: its objects are freed when it is dropped.

Objects caught in a reference cycle outlive their request until a collection finds them; those that survive
two collections reach the oldest generation, and its full passes walk every object alive, the rule pack's
hundreds of thousands included (50–170 ms each, seen in bench/single.py). The status-only evaluator's
missing-fact functions once held the Missing that holds them: 87 cyclic objects per profile on the whole
pack, 338 with what-if. Each path is run with the collector off; a collection afterwards must find nothing.
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import date

import pytest

from engine.authoring.boundaries import boundaries
from engine.evaluate.evaluator import evaluate
from engine.evaluate.interview import Answers, interview
from engine.evaluate.status import compiled
from engine.evaluate.strength import enrich
from engine.evaluate.summary import summary_json
from engine.language.loader import RulePack, load_pack
from engine.model.profile import EnterpriseProfile

Case = tuple[EnterpriseProfile, date]


@pytest.fixture(scope="module")
def pack() -> RulePack:
    return load_pack()


@pytest.fixture(scope="module")
def cases(pack: RulePack) -> list[Case]:
    return boundaries(pack).valid_cases(40, 5)


def status_run_asked_everything(pack: RulePack, profile: EnterpriseProfile, as_of: date) -> None:
    """A status-only run whose missing facts are all worked out (the lazily made functions called)."""
    result = compiled(pack, as_of).run(profile)
    for outcome in result.decisions.values():
        outcome.missing  # noqa: B018
    for card in result.scorecards.values():
        card.missing  # noqa: B018
    for name in list(result.missing.of):
        result.missing.name(name)


PATHS: dict[str, Callable[[RulePack, EnterpriseProfile, date], object]] = {
    "status-only": lambda pack, p, d: compiled(pack, d).run(p),
    "status-only, every missing fact asked": status_run_asked_everything,
    "status-only, two policies": lambda pack, p, d: compiled(pack, d).run(p, ("enterprise_size", "specialized_sme")),
    "summary": lambda pack, p, d: summary_json(p, pack, d),
    "assessment + what-if": lambda pack, p, d: enrich(evaluate(p, pack, d), p, pack, d, what_if=True),
    "interview step": lambda pack, p, d: interview(Answers(), pack, d),
}


@pytest.fixture
def collector_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()


@pytest.mark.parametrize("path", PATHS)
def test_an_evaluation_makes_no_reference_cycle(
    pack: RulePack, cases: list[Case], path: str, collector_off: None
) -> None:
    run = PATHS[path]
    for profile, as_of in cases:  # compilations and per-date caches first: they are kept, not garbage
        run(pack, profile, as_of)
    gc.collect()
    for profile, as_of in cases:
        run(pack, profile, as_of)
    gc.set_debug(gc.DEBUG_SAVEALL)  # keep what a collection finds, to name it
    found = gc.collect()
    kinds = Counter(type(o).__qualname__ for o in gc.garbage).most_common(5)
    assert found == 0, f"{path}: {found} objects in reference cycles after {len(cases)} profiles, most {kinds}"
