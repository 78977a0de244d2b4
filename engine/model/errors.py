"""The one bilingual error: what went wrong, in Chinese and in English, for a user to act on."""

from __future__ import annotations


class BilingualError(ValueError):
    """Carries `zh` and `en` words; str() is "中文 / English" unless the subclass shows otherwise."""

    def __init__(self, en: str, zh: str, shown: str | None = None) -> None:
        super().__init__(shown if shown is not None else f"{zh} / {en}")
        self.en, self.zh = en, zh
