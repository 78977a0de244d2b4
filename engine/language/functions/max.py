"""`max(a, b, ...)`: the largest of two or more numbers.

What: the greatest of its arguments; unknown if any argument is unknown.
Why: a floor under a value (e.g. a divisor of at least 1), or the better of two ways to meet a threshold.
Example: `invention_patents * 100 / max(rd_staff, 1)`: per 100 R&D staff, never dividing by 0.
"""

from engine.language.functions import Function, plain

FUNCTION = Function(
    name="max",
    min_args=2,
    max_args=None,
    signature="max(a, b, ...)",
    scalar=plain(max),
    words=lambda args, lang: f"max({', '.join(args)})",
    bounds=lambda args: None if None in args else (max(a[0] for a in args), max(a[1] for a in args)),  # type: ignore[index]
)
