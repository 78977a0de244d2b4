"""semantics.lookup_row reads an index of each lookup's keys: the row it picks must be the one its rule
names (exact: the first row listing the key; prefix: the longest listed key the text starts with, the first
row on a tie), for every lookup of the pack and for made-up tables with overlapping keys."""

from __future__ import annotations

import random

import pytest

from engine.language.loader import load_pack
from engine.language.rules import Lookup, LookupRow
from engine.language.semantics import lookup_row

PACK = load_pack()


def by_the_rule(lookup: Lookup, key: object) -> int | None:
    if key is None:
        return None
    text = str(key)
    if lookup.match == "exact":
        return next((pos for pos, row in enumerate(lookup.table) if text in row.keys), None)
    found = [(len(k), pos) for pos, row in enumerate(lookup.table) for k in row.keys if text.startswith(k)]
    return max(found, key=lambda pair: pair[0])[1] if found else None


def texts(lookup: Lookup, rng: random.Random) -> list[object]:
    keys = [k for row in lookup.table for k in row.keys]
    more = [k + rng.choice("0123456789AB") for k in keys] + [k[:-1] for k in keys] + ["", "Z99", "zz", 7, None]
    return keys + more + [rng.choice(keys) + str(rng.randint(0, 999)) for _ in range(50)]


@pytest.mark.parametrize("ident", sorted(i for i, d in PACK.derived.items() if d.lookup is not None))
def test_every_lookup_of_the_pack_picks_the_rules_row(ident: str) -> None:
    lookup = PACK.derived[ident].lookup
    assert lookup is not None
    for key in texts(lookup, random.Random(ident)):
        assert lookup_row(lookup, key) == by_the_rule(lookup, key), key


@pytest.mark.parametrize("match", ["exact", "prefix"])
def test_overlapping_and_repeated_keys(match: str) -> None:
    table = [
        {"keys": ["C", "C39"], "value": 1},
        {"keys": ["C391", "C39"], "value": 2},
        {"keys": ["C3911"], "value": 3},
        {"keys": ["C"], "value": 4},
    ]
    base = next(d.lookup for d in PACK.derived.values() if d.lookup is not None)
    rows = [LookupRow.model_validate(row) for row in table]
    lookup = base.model_copy(update={"match": match, "table": rows})
    for key in ["C", "C3", "C39", "C391", "C3911", "C39112", "C4", "D", "", "c39"]:
        assert lookup_row(lookup, key) == by_the_rule(lookup, key), key
