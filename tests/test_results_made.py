"""Results the evaluator makes without validation (engine.model.results.made) are what validation would make.

The explaining evaluator builds its results from its own values without pydantic's validation; each value
must already be of its field's type (a float field holds a float, not an int that JSON would show alike).
Validating a whole assessment again must change nothing, not even a type.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.authoring.boundaries import boundaries
from engine.evaluate.evaluator import evaluate
from engine.evaluate.strength import enrich
from engine.language.loader import load_pack
from engine.model.results import Assessment, IndicatorResult, Words, made


def typed(value: Any) -> Any:
    """A dump with every leaf's type beside it (3 and 3.0 differ)."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, *map(typed, value)]
    return (type(value).__name__, value)


@pytest.fixture(scope="module")
def assessments() -> list[Assessment]:
    pack = load_pack()
    found = []
    for n, (profile, as_of) in enumerate(boundaries(pack).valid_cases(80, 3)):
        result = evaluate(profile, pack, as_of)
        found.append(enrich(result, profile, pack, as_of, what_if=n % 8 == 0))
    return found


def test_validating_again_changes_nothing(assessments: list[Assessment]) -> None:
    for result in assessments:
        dumped = result.model_dump()
        again = Assessment.model_validate(dumped)
        assert typed(again.model_dump()) == typed(dumped)
        assert again.model_dump_json() == result.model_dump_json()


def test_made_keeps_the_declared_order_and_copies_mutable_defaults() -> None:
    label = made(Words, en="points", zh="分")
    first = made(IndicatorResult, label=label, id="a", max=5.0, points=None)
    second = made(IndicatorResult, id="b", label=label, points=1.0, max=5.0)
    first.missing.append("revenue")
    assert second.missing == []
    assert list(first.model_dump()) == list(IndicatorResult.model_fields)
    assert first.model_dump_json() == IndicatorResult(
        id="a", label=label, max=5, points=None
    ).model_dump_json().replace('"missing":[]', '"missing":["revenue"]')


def test_made_refuses_a_field_the_model_lacks() -> None:
    with pytest.raises(TypeError, match="colour"):
        made(Words, zh="红", en="red", colour="red")
