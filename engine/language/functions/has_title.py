"""`has_title(code[, min_level])`: the firm holds a title, valid at the as-of date.

What: true if one of the profile's titles has this code, is in force at the as-of date and, when
`min_level` is given (district, municipal, provincial, national), is at that level or higher;
unknown if the profile does not say which titles it holds.
Why: many measures require a designation ("国家高新技术企业", "省级专精特新中小企业").
Example: `has_title('specialized_sme', 'provincial')`.
"""

from datetime import date
from typing import Any

from engine.language.functions import Function
from engine.model.profile import LEVEL_RANK, TITLES, TITLES_EN, Level

LEVEL_WORDS = {"national": "国家级", "provincial": "省级", "municipal": "地市级", "district": "区县级"}


def has_title(profile: Any, as_of: date, code: str, min_level: str | None = None) -> bool | None:
    return holds(profile.titles, as_of, code, LEVEL_RANK[Level(min_level)] if min_level else 0)


def holds(titles: Any, as_of: date, code: str, need: int) -> bool | None:
    """has_title on the titles themselves, with the level's rank (0: any level) worked out beforehand."""
    if titles is None:
        return None
    return any(
        t.title == code and t.active_on(as_of) and (not need or (t.level and LEVEL_RANK[t.level] >= need))
        for t in titles
    )


def words(args: list[str], lang: str) -> str:
    title = TITLES.get(args[0], args[0])
    if lang == "zh":
        return f"持有有效的{title}{f'（{LEVEL_WORDS.get(args[1], args[1])}及以上）' if len(args) > 1 else ''}称号"
    title_en = TITLES_EN.get(args[0], args[0])
    return f"holds a valid {title_en} title" + (f" ({args[1]} or higher)" if len(args) > 1 else "")


FUNCTION = Function(
    name="has_title",
    min_args=1,
    max_args=2,
    signature="has_title(code[, min_level])",
    scalar=has_title,
    reads="titles",
    words=words,
)
