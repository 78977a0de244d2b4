"""`one_of(x, a, ...)`: a value is one of the listed options.

What: true if x equals any of the options; unknown only if x is unknown.
Why: a closed list the policy names, e.g. the districts of Jiangbei or the eligible sizes.
Example: `one_of(division_code, '500105', '500106')`.
"""

from typing import Any

from engine.language.functions import Function


def one_of(value: Any, *options: Any) -> bool | None:
    return None if value is None else value in options


FUNCTION = Function(
    name="one_of",
    min_args=2,
    max_args=None,
    signature="one_of(x, a, ...)",
    scalar=one_of,
    words=lambda args, lang: (
        f"{args[0]}属于 {'、'.join(args[1:])}" if lang == "zh" else f"{args[0]} is one of {', '.join(args[1:])}"
    ),
)
