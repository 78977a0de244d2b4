"""`starts_with(text, p1, ...)`: a text begins with one of the prefixes.

What: true if the text starts with any of the prefixes; unknown only if the text is unknown.
Why: industry codes (GB/T 4754) and division codes are hierarchical: a prefix names a whole
section ("制造业" is every code starting with C).
Example: `starts_with(industry_code, 'C', 'I65')`.
"""

from typing import Any

from engine.language.functions import Function


def starts_with(text: Any, *prefixes: str) -> bool | None:
    return None if text is None else any(str(text).startswith(p) for p in prefixes)


FUNCTION = Function(
    name="starts_with",
    min_args=2,
    max_args=None,
    signature="starts_with(text, p1, ...)",
    scalar=starts_with,
    words=lambda args, lang: (
        f"{args[0]}以 {'、'.join(args[1:])} 开头" if lang == "zh" else f"{args[0]} starts with {' or '.join(args[1:])}"
    ),
)
