"""The batch words a column of numbers in Arrow (engine.batch.wording): each text must be fmt_value's."""

from __future__ import annotations

import numpy as np
import pytest

from engine.batch.wording import number_texts
from engine.evaluate.explain import fmt_number, fmt_value
from engine.language.types import RATIO_UNITS

RNG = np.random.default_rng(11)
TIES = [k / 200 for k in range(-2001, 2001, 2)]  # x.xx5: the rounding ties and their floating-point neighbours
NUMBERS = [
    0.0, -0.0, 1.0, -1.0, 7.0, 999.0, 1000.0, 1234567.0, -98765.0, 0.5, 0.005, 0.015, 0.125, 2.675, 1.005, 99.995,
    1e-9, -1e-9, -0.004, 0.001, 0.1, 0.999, 999.999, 999999.995, 12345.678, 99.99999, 0.6, 0.03, 1 / 3, 2 / 3,
    1e15 - 1, 1e15, 1e15 + 0.5, 3.4e8 + 0.125, 1e12 + 0.37, 1e305, -1e305, 123456789012.345,
    float("inf"), float("-inf"), float("nan"),
    *TIES, *np.nextafter(TIES, 10.0).tolist(), *np.nextafter(TIES, -10.0).tolist(),
    *RNG.normal(0, 5000, 2000).tolist(), *RNG.normal(0, 1, 2000).tolist(), *RNG.uniform(0, 3, 2000).tolist(),
    *(RNG.integers(-10**6, 10**6, 500) / 100).tolist(), *(10.0 ** RNG.uniform(-6, 16, 1000)).tolist(),
    *RNG.integers(-10**12, 10**12, 300).astype(float).tolist(),
]  # fmt: skip


@pytest.mark.parametrize("unit", [None, "万元", "人", "件", "年", *sorted(RATIO_UNITS)])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_column_of_numbers_reads_as_each_number_does(unit: str | None, lang: str) -> None:
    assert number_texts(np.array(NUMBERS), unit, lang).to_pylist() == [fmt_value(v, unit, lang) for v in NUMBERS]


def test_a_column_of_ratios_reads_as_each_percentage_does() -> None:
    values = [*NUMBERS, *(RNG.uniform(-100, 100, 2000)).tolist(), 99.99994, 99.99995, 99.999951, -0.00001]
    expected = [fmt_number(v, True) for v in values]
    assert number_texts(np.array(values), "万元", "zh", percent=True).to_pylist() == expected


def test_whole_numbers_stored_as_floats_read_as_integers() -> None:
    ints = RNG.integers(-(10**14), 10**14, 500).tolist() + [0, 5, -5, 1000, 10**14]
    assert number_texts(np.array(ints, dtype=float), "件", "zh").to_pylist() == [fmt_value(v, "件") for v in ints]
