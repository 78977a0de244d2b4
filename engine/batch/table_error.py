"""Whole-file problems of applicant tables, in both languages (one home, so readers need no cycle)."""

from __future__ import annotations

from engine.model.errors import BilingualError


class TableError(BilingualError):
    """A whole-file problem (unreadable, unknown format, no header), in both languages."""


class LimitError(TableError):
    """The file asks for more than a limit allows (size, rows, columns, cells, ratio); nothing was read."""
