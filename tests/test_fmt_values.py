"""The batch formats a column of values at a time (explain.fmt_values): each text must be fmt_value's."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from engine.evaluate.explain import fmt_value, fmt_values
from engine.language.types import RATIO_UNITS

RNG = np.random.default_rng(7)
NUMBERS: list[object] = [
    0, 1, -1, 7, 1000, 1234567, -98765, 0.5, 0.005, 0.015, 0.125, 2.675, 1.005, 99.995, 1e-9, -0.004,
    12345.678, 1e15 + 0.5, 1e305, -1e305, float("inf"), float("nan"), *RNG.normal(0, 5000, 200).tolist(), *RNG.integers(-10**9, 10**9, 50).tolist(),
]  # fmt: skip


@pytest.mark.parametrize("unit", [None, "万元", "人", "件", "年", "%", *sorted(RATIO_UNITS)])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_column_of_numbers_reads_as_each_number_does(unit: str | None, lang: str) -> None:
    assert fmt_values(NUMBERS, unit, lang) == [fmt_value(v, unit, lang) for v in NUMBERS]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_other_values_keep_fmt_values_own_wording(lang: str) -> None:
    mixed = [True, False, date(2025, 6, 30), "text", 3, 2.5]
    assert fmt_values(mixed, "万元", lang) == [fmt_value(v, "万元", lang) for v in mixed]
