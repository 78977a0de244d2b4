"""Whole-file problems of applicant tables, in both languages (one home, so readers need no cycle)."""
from __future__ import annotations


class TableError(ValueError):
    """A whole-file problem (unreadable, unknown format, no header), in both languages."""

    def __init__(self, en: str, zh: str) -> None:
        super().__init__(f"{zh} / {en}")
        self.en, self.zh = en, zh


class LimitError(TableError):
    """The file asks for more than a limit allows (size, rows, columns, cells, ratio); nothing was read."""
