"""Screening some policies evaluates only what they read, and decides them exactly as a whole-pack run."""

from __future__ import annotations

import gc
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest

from engine.batch.generate import generate, write_table
from engine.batch.screen import Screening
from engine.batch.vectorized import BatchEvaluation, columns_from_profiles
from engine.evaluate.evaluator import prepared
from engine.language.loader import load_pack
from tests.support.boundaries import boundaries

PACK = load_pack()
DAY = date(2025, 6, 30)
CHOSEN = ["jb_trademark_brand", "specialized_sme"]


def test_a_targeted_batch_run_evaluates_only_the_cone() -> None:
    profiles = [p for p, _ in boundaries(PACK).valid_cases(40, seed=2)]
    columns = columns_from_profiles(profiles)
    cone = set(prepared(PACK).cone(CHOSEN))
    part = BatchEvaluation(PACK, DAY, columns, len(profiles)).run(CHOSEN)
    whole = BatchEvaluation(PACK, DAY, columns, len(profiles)).run()
    assert set(part.policies) <= cone and set(CHOSEN) <= set(part.policies) < set(whole.policies)
    assert set(part.scorecards) <= cone and set(part.facts) <= cone
    for ident in CHOSEN:
        assert (part.policies[ident].state == whole.policies[ident].state).all()


@pytest.fixture(scope="module")
def applicants(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cone") / "applicants.csv"
    write_table(generate(300, seed=5), path)
    return path


def test_screening_chosen_policies_gives_their_columns_as_the_whole_pack_does(applicants: Path, tmp_path: Path) -> None:
    some, every = tmp_path / "some.parquet", tmp_path / "every.parquet"
    Screening(PACK, DAY, policies=CHOSEN).run(applicants, some)
    Screening(PACK, DAY).run(applicants, every)
    part, whole = pq.read_table(some), pq.read_table(every)
    assert set(part.column_names) < set(whole.column_names)
    for name in part.column_names:
        assert part.column(name).equals(whole.column(name)), name


def test_title_cells_are_split_and_validated_once_across_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    import pyarrow as pa

    from engine.batch import tabular

    reader = tabular.ChunkReader(["credit_code", "titles"])
    cell = "high_tech_enterprise|national|2024-01-01; innovative_sme"
    chunk = pa.table({"c0": ["", ""], "c1": [cell, "无"]})
    first = reader.prepare(chunk, 2)
    calls: list[str] = []
    monkeypatch.setattr(tabular, "split_titles", lambda text: calls.append(text) or [])
    second = reader.prepare(chunk, 4)
    assert calls == []  # the second chunk reuses the first one's verdicts
    assert list(second.columns["titles"].value) == list(first.columns["titles"].value)
    assert [len(t) for t in first.columns["titles"].value] == [2, 0]


def test_verdicts_kept_across_chunks_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    # the per-entry title cache grew by every distinct entry of a file (a million rows: a million Title objects)
    import pyarrow as pa

    from engine.batch import tabular

    monkeypatch.setattr(tabular, "MAX_VERDICTS", 3)
    caches = ("titles.cell", "titles.entry", "registration_date")
    reader = tabular.ChunkReader(["credit_code", "titles", "registration_date"])
    for start in range(0, 40, 4):
        cells = [f"high_tech_enterprise|national|2024-01-{d:02d}" for d in range(start % 28 + 1, start % 28 + 5)]
        chunk = pa.table({"c0": [""] * 4, "c1": cells, "c2": [f"2020年1月{d}日" for d in range(1, 5)]})
        got = reader.prepare(chunk, 2 + start)
        fresh = tabular.ChunkReader(["credit_code", "titles", "registration_date"]).prepare(chunk, 2 + start)
        assert list(got.columns["titles"].value) == list(fresh.columns["titles"].value)
        assert list(got.columns["registration_date"].value) == list(fresh.columns["registration_date"].value)
        assert {name: len(kept) <= 3 + 4 for name, kept in reader.verdicts.items()} == dict.fromkeys(caches, True)


def test_title_verdicts_as_arrays_are_has_titles() -> None:
    """The batch's has_title (array comparisons over every distinct title seen) gives functions.has_title's
    verdict for each title: code, level at or above, in force on the date (bounds included), no level."""
    from datetime import date as day

    from engine.batch import vectorized
    from engine.language.functions.has_title import holds
    from engine.model.profile import LEVEL_RANK, Level, Title

    titles = [
        Title(title=code, level=level, valid_from=start, valid_to=end)
        for code in ("high_tech_enterprise", "specialized_sme", "innovative_sme")
        for level in (None, Level.district, Level.provincial, Level.national)
        for start, end in ((None, None), (day(2024, 1, 1), day(2025, 6, 30)), (day(2025, 7, 1), None))
    ]
    registry = vectorized.TitleRegistry()
    held = vectorized.from_objects(vectorized.object_array([tuple(titles)]), np.ones(1, dtype=bool))
    _, _, ids = vectorized.held_titles(held, registry)
    for as_of in (day(2023, 12, 31), day(2025, 6, 30), day(2025, 7, 1)):
        for args in (("specialized_sme",), ("specialized_sme", "provincial"), ("innovative_sme", "district")):
            need = LEVEL_RANK[Level(args[1])] if len(args) > 1 else 0
            got = registry.holds(as_of, args)[ids]
            assert got.tolist() == [bool(holds([t], as_of, args[0], need)) for t in titles], (as_of, args)


def test_cells_are_trimmed_and_blanks_are_null_in_clean_and_padded_columns() -> None:
    """tabular._strings compares no cell of a clean column; a padded or blank one still reads as before."""
    import pyarrow as pa

    from engine.batch.tabular import _strings

    assert _strings(pa.array(["a", " b ", "  ", None, "", "\t c\n"])).to_pylist() == ["a", "b", None, None, None, "c"]
    assert _strings(pa.array(["x", "y"])).to_pylist() == ["x", "y"]
    assert _strings(pa.chunked_array([["a "], [" "]])).to_pylist() == ["a", None]
    assert _strings(pa.array([None, None], pa.string())).to_pylist() == [None, None]
    assert _strings(pa.array([1, 20])).to_pylist() == ["1", "20"]


@pytest.mark.parametrize(
    "cells",
    [
        ["12", "0x10", "7"],  # Arrow's integer parsing reads hexadecimal; the model does not
        ["12", " 16 ", "7"],  # padded: trimmed, then parsed
        ["12", "", "7"],  # blank: unknown
        ["12", "1_000", "+5"],  # not shaped like a number: the model decides (it reads both)
        ["12", "16.0", "7"],
        ["12", "16", "7"],  # clean: parsed as it stands, untrimmed
        ["12", "-5", "99999999999999999999"],  # signed, and digits beyond int64
    ],
)
def test_number_cells_read_as_the_profile_model_reads_them(cells: list[str]) -> None:
    """Each row of a number column is valid, with the model's value, exactly when parse_profile takes it alone."""
    import pyarrow as pa

    from engine.batch import tabular
    from engine.model.profile import ProfileInputError, parse_profile

    for field in ("employees", "revenue"):  # an integer and a number field, each alone in its row
        reader = tabular.ChunkReader([field, "name"])
        chunk = reader.prepare(pa.table({"c0": cells, "c1": ["甲"] * len(cells)}), 2)
        for row, cell in enumerate(cells):
            try:
                value = getattr(parse_profile({field: cell.strip()} if cell.strip() else {}), field)
                expected = (True, None if value is None else float(value))
            except ProfileInputError:
                expected = (False, None)
            got = chunk.columns[field]
            assert (bool(chunk.valid[row]), float(got.value[row]) if got.known[row] else None) == expected, cell


@pytest.mark.parametrize(
    "cells",
    [
        ["2024-02-29", "2023-02-29", "2024-13-01", "2024-01-00"],  # Arrow rolls 2023-02-29 over to March 1st
        ["0000-01-01", "0001-01-01", "9999-12-31", "1969-12-31"],  # before year 1, the first day, the future
        [str(date.today()), str(date.fromordinal(date.today().toordinal() + 1)), "", "2024-01-05"],
        ["2024/1/5", "2024年1月5日", " 2024-01-05 ", "2024-1-5"],  # other ways of writing a date: the model's way
        ["20240105", "2024-01-05 00:00:00", "2024-01-05T08:00", "１９９９-０１-０１"],
    ],
)
def test_date_cells_read_as_the_profile_model_reads_them(cells: list[str]) -> None:
    """Each row of a date column is valid, with the model's date, exactly when parse_profile takes it alone
    (tabular.ChunkReader._dates reads 2024-01-31 with Arrow and must agree with the model on every cell)."""
    for field in ("registration_date", "last_ip_penalty_date"):
        chunk = prepared_alone(field, cells)
        for row, cell in enumerate(cells):
            got = chunk.columns[field]
            shown = date.fromordinal(date(1970, 1, 1).toordinal() + int(got.value[row])) if got.known[row] else None
            assert (bool(chunk.valid[row]), shown) == model_reads(field, cell), cell


@pytest.mark.parametrize(
    ("field", "cells"),
    [
        ("legal_person", ["是", " 是 ", "否", "\t否", "  ", "", "true", "maybe", "是"]),
        ("rd_institution_level", ["国家级", " national ", "provincial", " ", "县级", "national"]),
        ("industry_code", ["M7320", " M7320", "7320", "M73200", " ", "C1311 "]),
    ],
)
def test_coded_cells_read_as_the_profile_model_reads_them(field: str, cells: list[str]) -> None:
    """A field validated once per distinct text (its column trimmed through its dictionary: _coded_strings) gives
    each row the model's verdict and value, padded and blank cells included, texts that trim alike together."""
    chunk = prepared_alone(field, cells)
    for row, cell in enumerate(cells):
        got = chunk.columns[field]
        assert (bool(chunk.valid[row]), got.value[row] if got.known[row] else None) == model_reads(field, cell), cell
        assert chunk.texts[field][row].as_py() == (cell.strip() or None)  # what a refused row's message quotes


def prepared_alone(field: str, cells: list[str]) -> Any:
    """A chunk of one field's cells (with a name beside them) as ChunkReader prepares it."""
    import pyarrow as pa

    from engine.batch import tabular

    return tabular.ChunkReader([field, "name"]).prepare(pa.table({"c0": cells, "c1": ["甲"] * len(cells)}), 2)


def model_reads(field: str, cell: str) -> tuple[bool, Any]:
    """(valid, value) of a cell given alone to parse_profile, in its table form (tabular.raw_cell)."""
    from engine.batch import tabular
    from engine.model.profile import ProfileInputError, parse_profile

    text = cell.strip()
    try:
        value = getattr(parse_profile({field: tabular.raw_cell(field, text)} if text else {}), field)
    except ProfileInputError:
        return False, None
    return True, getattr(value, "value", value)


def test_title_cells_split_by_arrow_hold_what_split_titles_gives() -> None:
    """ChunkReader._held_cells (Arrow's split) equals _held (split_titles) cell by cell, odd spaces included."""
    import pyarrow as pa

    from engine.batch import tabular

    cells = [
        "high_tech_enterprise|national|2024-01-01; innovative_sme",
        " 高新技术企业 | national |2023-01-01|2026-01-01 ；专精特新中小企业|provincial\n",
        "|national|2024-01-01; innovative_sme|provincial",
        "innovative_sme|provincial;;  ; |x",
        "无",
        " None ",
        "innovative_sme",
        "high_tech_enterprise|nationwide|2024-01-01",
        "high_tech_enterprise|national|2024-13-01",
        "high_tech_enterprise|national|2024-01-01\u3000; innovative_sme|provincial",
        "\x1chigh_tech_enterprise|national",
        "high_tech_enterprise|national|2024-01-01\r",
        "|",
        ";",
    ]
    fresh = tabular.ChunkReader(["titles"])
    got = fresh._held_cells(pa.array(cells))
    assert got == [tabular.ChunkReader(["titles"])._held(cell) for cell in cells]
    assert got[0] is not None and got[7] is None and got[12] == ()


def test_object_arrays_keep_each_value_whole() -> None:
    """vectorized.object_array (np.fromiter) keeps tuples, lists, empty tuples and None as single elements."""
    from engine.batch.vectorized import object_array

    values = [("a", "b"), (), None, ["x", "y"], "text", 3, ((1, 2), (3, 4))]
    for given in (values, iter(values), (v for v in values)):
        got = object_array(given)
        assert got.shape == (len(values),) and all(a is b for a, b in zip(got, values))
    assert object_array([]).shape == (0,) and object_array([(1, 2), (3, 4)]).shape == (2,)


def test_day_numbers_give_the_calendar_date_from_year_1_to_9999() -> None:
    """vectorized.civil (integer arithmetic) gives every day's year, month and day as Python's date does."""
    from engine.batch.vectorized import civil, days

    first, last = days(date(1, 1, 1)), days(date(9999, 12, 31))
    numbers = np.arange(first, last + 1)
    year, month_day = civil(numbers)
    ordinal = date(1970, 1, 1).toordinal()
    sample = np.r_[numbers[:800], numbers[-800:], numbers[::997]]  # both ends, and a stride through the rest
    expected = [date.fromordinal(ordinal + int(n)) for n in sample]
    got_year, got_md = civil(sample)
    assert [(int(y), int(md) // 32, int(md) % 32) for y, md in zip(got_year, got_md)] == [
        (d.year, d.month, d.day) for d in expected
    ]
    assert (np.diff(year * 512 + month_day) > 0).all()  # every next day is a later (year, month, day)
    assert (year[[0, -1]] == [1, 9999]).all() and (month_day[[0, -1]] == [1 * 32 + 1, 12 * 32 + 31]).all()


def test_whole_years_are_years_between_anniversaries_included() -> None:
    from engine.batch.vectorized import days, whole_years
    from engine.language.functions.years_between import years_between

    starts = [date(2020, 2, 29), date(2019, 3, 1), date(2000, 12, 31), date(1, 1, 1), date(2024, 6, 30)]
    ends = [date(2021, 2, 28), date(2021, 3, 1), date(2024, 2, 29), date(2001, 1, 1), date(9999, 12, 31)]
    pairs = [(s, e) for s in starts for e in ends]
    got = whole_years(np.array([days(s) for s, _ in pairs]), np.array([days(e) for _, e in pairs]))
    assert got.tolist() == [float(years_between(s, e)) for s, e in pairs]
    as_of = np.broadcast_to(np.array(days(date(2025, 6, 30))), (len(starts),))  # a constant, as the as-of date is
    got = whole_years(np.array([days(s) for s in starts]), as_of)
    assert got.tolist() == [float(years_between(s, date(2025, 6, 30))) for s in starts]


def test_a_condition_against_a_threshold_is_worded_as_any_other_comparison() -> None:
    """Rationale.unmet_text joins a constant threshold's one text to each value's text (no combinations): every
    unmet comparison row reads as the general path (both sides formatted, then combined) words it."""
    import pyarrow.compute as pc

    from engine.batch import rationale
    from engine.batch.vectorized import UNMET
    from engine.language import expr as ex

    profiles = [p for p, _ in boundaries(PACK).valid_cases(120, seed=4)]
    ev = BatchEvaluation(PACK, DAY, columns_from_profiles(profiles), len(profiles))
    result = ev.run()
    words = rationale.Rationale(PACK, DAY, "zh")
    checked = 0
    for columns in result.policies.values():
        for leaf in columns.leaves:
            cond, rows = columns.conditions[leaf], columns.nodes[leaf] == UNMET
            node = cond.test().ast
            if not (isinstance(node, ex.Compare) and rows.any() and ev.eval(node.right).scalar is not None):
                continue
            unit = rationale.expression_unit(node.left, words.unit)
            sides = [
                words.formatted(ev.eval(side), rows, unit, words.is_ratio(node)) for side in (node.left, node.right)
            ]
            subject, op = words.render.render(node.left, "zh"), rationale.NEGATED[node.op]
            join = partial(lambda pair, s, o: pc.binary_join_element_wise(s, pair[0], o, pair[1], " "), s=subject, o=op)
            general = rationale.combine(sides, join, len(rows))
            assert words.unmet_text(ev, cond, rows).arrow().to_pylist() == general.arrow().to_pylist(), leaf
            checked += 1
    assert checked >= 10


def test_reason_parts_joined_row_by_row_even_past_the_key_range(monkeypatch: pytest.MonkeyPatch) -> None:
    """rationale.joined gives each row its present parts' texts joined in order, also when the parts' mixed-radix
    key passes 2**62 and is factorised on the way (five parts of 10,000 texts: 10,001**5 > 2**62)."""
    from engine.batch import rationale
    from engine.batch.rationale import Coded, joined

    factorised: list[int] = []
    factorize = rationale.pd.factorize
    monkeypatch.setattr(rationale.pd, "factorize", lambda keys: factorised.append(len(keys)) or factorize(keys))

    rng = np.random.default_rng(7)
    n = 3000
    parts = []
    for name in "abcde":
        codes = rng.integers(0, 10_000, n)
        codes[rng.random(n) < 0.4] = -1  # the part is absent from the row
        parts.append(Coded(codes, [f"{name}{i}" for i in range(10_000)]))
    parts.append(Coded(np.full(n, -1), ["never"]))  # absent everywhere
    got = joined(parts, "；", n).to_pylist()
    assert len(factorised) >= 2  # the key was factorised on the way, then at the end
    expected = ["；".join(p.table[int(p.codes[r])].as_py() for p in parts if p.codes[r] >= 0) or None for r in range(n)]
    assert got == expected


def test_coded_texts_come_as_the_output_columns_type() -> None:
    """A reason column is built with the output schema's dictionary type (int32 indices), so building the chunk's
    table casts none of them; a row without a text is null."""
    from engine.batch.rationale import Coded
    from engine.batch.screen import TEXT

    column = Coded(np.array([1, -1, 0, 1]), ["甲", "乙"]).arrow()
    assert column.type == TEXT
    assert column.to_pylist() == ["乙", None, "甲", "乙"]


def test_a_screened_chunk_leaves_no_reference_cycle(applicants: Path) -> None:
    """A chunk's columns are freed when the chunk is done, not when the cyclic collector next runs: a reference
    cycle (a recursive closure over the policy's columns was one) would keep every policy's arrays of every
    chunk alive until a full collection, which in a screening runs once or twice."""
    from engine.batch import screen
    from engine.batch.tabular import read_chunks

    headers, table = next(read_chunks(applicants))
    plan = Screening(PACK, DAY).plan(headers)
    screen._remember(screen._PACKS, (plan.root, plan.rules_hash), PACK, screen._KEEP_PACKS)
    screen.screen_part(plan, table, 2)  # the first chunk fills the reader's caches, which are meant to stay
    gc.collect()
    was_enabled = gc.isenabled()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what the collector would free is kept in gc.garbage instead
    try:
        screen.screen_part(plan, table, 2)
        gc.collect()
        ours = [o for o in gc.garbage if getattr(o, "__module__", "").startswith("engine.")]  # not other threads'
        cyclic = [getattr(o, "__qualname__", type(o).__qualname__) for o in ours]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        if was_enabled:
            gc.enable()
    assert cyclic == []


def test_title_ids_stay_distinct_when_evaluations_register_titles_at_once() -> None:
    """The process's title registry is shared (a pack reload's canary may evaluate beside a screening): titles
    registered from several threads at once each get an id of their own, which names them. The registry's list
    gives the other threads a turn on every append, between an id being taken and its title being stored."""
    import threading
    import time
    from datetime import date as day
    from datetime import timedelta

    from engine.batch.vectorized import TitleRegistry
    from engine.model.profile import Title

    class Yielding(list):  # type: ignore[type-arg]
        def append(self, item: Any) -> None:
            time.sleep(0)
            super().append(item)

    registry = TitleRegistry()
    registry.titles = Yielding()
    got: dict[int, tuple[list[Any], np.ndarray]] = {}

    def register(worker: int) -> None:
        start, end = day(2000, 1, 1), day(2100 + worker, 1, 1)  # each thread's titles its own
        sets = [
            (Title(title="specialized_sme", valid_from=start + timedelta(days=i), valid_to=end),) for i in range(200)
        ]
        got[worker] = (sets, registry.register(sets)[1])

    threads = [threading.Thread(target=register, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(registry.titles) == 4 * 200
    for sets, ids in got.values():
        assert [registry.titles[i] for i in ids.tolist()] == [held[0] for held in sets]


def test_a_full_title_registry_is_replaced_and_evaluations_under_way_keep_theirs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The process's registry does not grow without bound (a service sees new titles with every upload): past
    MAX_TITLES the next evaluation starts a fresh one, and every evaluation decides as before, the same columns
    (their title sets cached against the first registry) included."""
    from engine.batch import vectorized

    profiles = [p for p, _ in boundaries(PACK).valid_cases(120, seed=6)]
    columns, n = columns_from_profiles(profiles), len(profiles)
    reference = BatchEvaluation(PACK, DAY, columns, n).run()
    monkeypatch.setattr(vectorized, "MAX_TITLES", 3)
    monkeypatch.setattr(vectorized, "_REGISTRY", vectorized.TitleRegistry())
    first = BatchEvaluation(PACK, DAY, columns, n)
    results = [first.run()]
    assert len(first.title_registry.titles) > 3
    second = BatchEvaluation(PACK, DAY, columns, n)
    assert second.title_registry is not first.title_registry
    results.append(second.run())
    for result in results:
        for ident, expected in reference.policies.items():
            assert (result.policies[ident].state == expected.state).all(), ident


def test_seen_codes_give_each_code_its_first_row_across_chunks() -> None:
    """SeenCodes (the duplicate check) against a dictionary: codes of different widths in different chunks,
    repeated within a chunk and across chunks, each answered with the row it first appeared on."""
    from engine.batch.screen import SeenCodes

    rng = np.random.default_rng(3)
    seen, first, row = SeenCodes(), {}, 2
    for width in (3, 1, 5, 2, 5):
        texts = ["".join(rng.choice(list("ABC"), rng.integers(1, width + 1))) for _ in range(60)]
        codes = np.array([t.encode() for t in texts])  # as Screening.duplicates passes them: S<width>
        rows = np.arange(row, row + len(codes))
        expected = [first.setdefault(code, r) for code, r in zip(codes.tolist(), rows.tolist())]
        assert seen.first_rows(codes, rows).tolist() == expected
        row += len(codes)
