"""Numbers in words a column at a time, in Arrow: fmt_value's wording (engine.evaluate.explain) for the batch's
reasons, whose values (ratios, amounts) are nearly all distinct, so formatting them one by one in Python
cost more than the rest of the reason.

Rounding to two decimals is worked out from the value times 100; a value within reach of a tie there
(where that product's own rounding could decide) or too large for the product to be exact enough goes
through fmt_value itself, so every text is fmt_value's (tests/test_wording.py holds them equal).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from engine.evaluate.explain import fmt_number
from engine.language.types import RATIO_UNITS
from engine.model.profile import unit_words

_EXACT = 2.0**35  # |value x 100| below this: its floating-point error is under 2**-18, far from a tie's window
_TIE = 1e-4  # a fraction of value x 100 this close to .5 is worked out by fmt_value
_PERCENT_MAX = 9_999.99  # fmt_number's percent uses :g (6 significant digits): plain digits up to here


def number_texts(values: np.ndarray, unit: str | None, lang: str, percent: bool = False) -> pa.Array:
    """[fmt_number(v, True) if percent else fmt_value(v, unit, lang) for v in values], for float values."""
    values = np.asarray(values, dtype=np.float64)
    if percent or unit in RATIO_UNITS:
        return _percent(values)
    if lang != "zh" and unit == "万元":  # an English reader counts money in yuan: fmt_value's own product
        with np.errstate(over="ignore"):
            return pc.binary_join_element_wise(pa.scalar("CNY"), _plain(values * 10_000), " ")
    word = unit_words(unit, lang)
    text = _plain(values)
    return pc.binary_join_element_wise(text, pa.scalar(word), " ") if word else text


def _hundredths(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(|round(v, 2)| in hundredths as int64, rows where that is certain)."""
    with np.errstate(over="ignore", invalid="ignore"):
        scaled = values * 100
        sure = np.abs(scaled) < _EXACT  # false for inf and nan too
        scaled = np.where(sure, scaled, 0.0)
    sure &= np.abs(scaled - np.floor(scaled) - 0.5) > _TIE
    return np.abs(np.rint(scaled)).astype(np.int64), sure


def _plain(values: np.ndarray) -> pa.Array:
    """explain._plain: thousands separators, at most two decimals (a whole number without any)."""
    finite = np.isfinite(values)
    safe = np.where(finite, values, 0.0)
    whole = finite & (safe == np.floor(safe)) & (np.abs(safe) < 1e15)
    cents, sure = _hundredths(safe)
    sure &= finite & ~whole
    units = np.where(whole, np.abs(safe), cents // 100).astype(np.int64)
    fraction = np.where(whole, 0, cents % 100)
    text = _texts(units, fraction, (values < 0) & (whole | sure), thousands=True)
    return _patched(text, ~(whole | sure), values, fmt_number)


def _percent(values: np.ndarray) -> pa.Array:
    """fmt_number(v, percent=True): v x 100 rounded to two decimals, `:g`, and a % sign."""
    with np.errstate(over="ignore", invalid="ignore"):
        percent = values * 100  # as fmt_number: the product first, then rounded
    cents, sure = _hundredths(percent)
    sure &= cents <= round(_PERCENT_MAX * 100)
    text = _texts(cents // 100, cents % 100, np.signbit(percent) & sure, thousands=False)
    text = pc.binary_join_element_wise(text, "%", "")
    return _patched(text, ~sure, values, lambda v: fmt_number(v, True))


_WIDTH = 24  # sign, 15 digits, 4 separators, '.', 2 decimals: 23 bytes; column 0 stays padding


def _texts(units: np.ndarray, fraction: np.ndarray, negative: np.ndarray, thousands: bool) -> pa.Array:
    """'-'? units (below 10**15, `,` between groups of three if `thousands`) and '.dd' without trailing zeros
    (nothing for 0 hundredths), as `:,.2f` then rstrip does; built right-aligned in a byte matrix."""
    n = len(units)
    rows = np.arange(n)
    out = np.zeros((n, _WIDTH), dtype=np.uint8)
    tail = np.where(fraction == 0, 0, np.where(fraction % 10 == 0, 2, 3))  # '', '.d', '.dd'
    end = _WIDTH - tail
    has_tail = tail > 0
    out[rows, np.where(has_tail, end, 0)] = ord(".")
    out[rows, np.where(has_tail, end + 1, 0)] = 48 + fraction // 10
    out[rows, np.where(tail == 3, end + 2, 0)] = 48 + fraction % 10
    digits = np.ones(n, dtype=np.int64)
    for k in range(1, 15):
        digits += units >= 10**k
    for k in range(int(digits.max(initial=1))):
        at = end - 1 - (k + (k // 3 if thousands else 0))
        out[rows, np.where(k < digits, at, 0)] = 48 + units // 10**k % 10
        if thousands and k % 3 == 0 and k:
            out[rows, np.where(k < digits, at + 1, 0)] = ord(",")
    chars = digits + ((digits - 1) // 3 if thousands else 0)
    start = end - chars - negative
    out[rows, np.where(negative, start, 0)] = ord("-")
    taken = np.arange(_WIDTH) >= start[:, None]
    offsets = np.zeros(n + 1, dtype=np.int32)
    np.cumsum(_WIDTH - start, out=offsets[1:])
    data = out[taken]
    return pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _patched(text: pa.Array, fallback: np.ndarray, values: np.ndarray, one: Callable[[float], str]) -> pa.Array:
    """`text` with the rows in `fallback` worded by `one` (fmt_number itself), one value at a time."""
    rows = np.flatnonzero(fallback)
    if not len(rows):
        return text
    words = pa.array([one(float(values[i])) for i in rows.tolist()], type=pa.string())
    return pc.replace_with_mask(text, pa.array(fallback), words)
