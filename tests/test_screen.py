"""Batch screening end to end: tables in, one decision per row out, validation by the profile model."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.batch.generate import generate, write_table
from engine.batch.screen import Allocation, Screening, terminal_progress
from engine.batch.tabular import ChunkReader, TableError, detect_encoding, raw_cell
from engine.batch.vectorized import to_python
from engine.cli.main import main
from engine.evaluate.evaluator import evaluate
from engine.language.loader import load_pack
from engine.model.creditcode import make_credit_code
from engine.model.profile import KEY_BY_LABEL, ProfileInputError, parse_profile

HERE = Path(__file__).parent
MAIN = load_pack(HERE.parent / "rules")
CONSTRUCTS = load_pack(HERE / "batch_pack")
AS_OF = date(2025, 6, 30)


def read_output(path: Path) -> pa.Table:
    """The output with dictionary-encoded text decoded (dictionaries differ between chunkings)."""
    if path.suffix == ".parquet":
        table = pq.read_table(path)
    else:
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(strings_can_be_null=True))
    return pa.table(
        {
            name: column.cast(pa.string()) if pa.types.is_dictionary(column.type) else column
            for name, column in zip(table.column_names, table.columns)
        }
    )


# --- validation: cheap column checks agree with the model ------------------------------

NUMBERISH = st.sampled_from(
    [
        "12",
        " 12 ",
        "+12",
        "-3",
        "0",
        "-0",
        "12.0",
        "12.5",
        ".5",
        "5.",
        "1e3",
        "1E2",
        "1e400",
        "inf",
        "-inf",
        "nan",
        "NaN",
        "1_000",
        "1,000",
        "0x10",
        "１２",
        "约500",
        "",
        "  ",
        "00012",
        "99999999",
        "3.000",
        "1e-3",
        "-.5",
        "Infinity",
    ]
)
TEXTY = st.text(alphabet="0123456789+-.eE_,xinfaNA ", max_size=6)
CODES = st.sampled_from(
    [
        make_credit_code("500105", "MA5U0001"),
        make_credit_code("500106", "00000001"),
        make_credit_code("500105", "MA5U0001").lower(),
        "91500105MA5U00011F",
        "12345",
        "91500105MA5U0001１E",
        "91500105MA5UO0011E",
        "",
    ]
)
CELLS = {
    "employees": st.one_of(NUMBERISH, TEXTY),
    "rd_staff": st.one_of(NUMBERISH, TEXTY),
    "revenue": st.one_of(NUMBERISH, TEXTY),
    "main_revenue": st.one_of(NUMBERISH, TEXTY),
    "net_profit": st.one_of(NUMBERISH, TEXTY),
    "digitalisation_level": st.one_of(NUMBERISH, TEXTY),
    "credit_code": CODES,
    "division_code": st.sampled_from(["500105", "50010", "500105 ", "abcdef", "5001051", ""]),
    "industry_code": st.sampled_from(["C39", "c3911", "7520", "M7520", "X99", "C99", "I65", ""]),
    "registration_date": st.sampled_from(
        ["2020-01-05", "2020/1/5", "2020年1月5日", "2020-02-30", "2099-01-01", "yesterday", "2020-01-05 00:00:00", ""]
    ),
    "legal_person": st.sampled_from(["true", "false", "是", "否", "yes", "1", "0", "maybe", ""]),
    "rd_institution_level": st.sampled_from(["national", "省级", "国家级", "planetary", ""]),
    "titles": st.sampled_from(
        [
            "无",
            "高新技术企业",
            "高新技术企业|国家级|2023-01-01|2026-01-01",
            "high_tech_enterprise|省级",
            "unknown_title",
            "创新型中小企业|宇宙级",
            "高新技术企业|国家级|2023-13-01",
            "",
        ]
    ),
}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.fixed_dictionaries(CELLS), min_size=1, max_size=15))
def test_column_checks_agree_with_the_model(rows: list[dict[str, str]]) -> None:
    """A row is valid in batch exactly when parse_profile accepts it, with the same values."""
    headers = list(CELLS)
    table = pa.table({f"c{i}": pa.array([r[h] for r in rows], type=pa.string()) for i, h in enumerate(headers)})
    chunk = ChunkReader(headers).prepare(table, 2)
    for pos, row in enumerate(rows):
        raw = {k: raw_cell(k, v.strip() or None) for k, v in row.items()}
        try:
            profile = parse_profile({k: v for k, v in raw.items() if v is not None})
        except ProfileInputError:
            assert not chunk.valid[pos], row
            continue
        assert chunk.valid[pos], row
        for name, vec in chunk.columns.items():
            expected = getattr(profile, name)
            expected = getattr(expected, "value", expected)
            got = to_python(vec)[pos]
            if name == "titles" and expected is not None:
                expected, got = list(expected), list(got)
            assert got == expected, (name, row)


# --- whole files -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def messy(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 1,000-row messy workbook (Chinese headers, invalid codes, blanks, duplicates) and its GBK CSV twin."""
    folder = tmp_path_factory.mktemp("messy")
    cols = generate(1000, seed=7, messy=0.12)
    files = {"xlsx": folder / "申报.xlsx", "csv": folder / "申报_gbk.csv"}
    write_table(cols, files["xlsx"], headers="zh")
    write_table(cols, files["csv"], headers="zh", encoding="gbk")
    return files


def screen(source: Path, output: Path, pack: Any = MAIN, **options: Any) -> Any:
    return Screening(pack, options.pop("as_of", AS_OF), **options).run(source, output)


def test_messy_workbook_every_row_accounted(messy: dict[str, Path], tmp_path: Path) -> None:
    assert detect_encoding(messy["csv"]) == "gb18030"
    out = {kind: tmp_path / f"out_{kind}.parquet" for kind in messy}
    summaries = {kind: screen(messy[kind], out[kind]) for kind in messy}
    tables = {kind: read_output(path) for kind, path in out.items()}
    for table in tables.values():
        assert table.num_rows == 1000
        assert table.column("row").to_pylist() == list(range(2, 1002))
    assert tables["xlsx"].equals(tables["csv"])
    table = tables["csv"]
    summary = summaries["csv"]
    invalid = [not v for v in table.column("valid").to_pylist()]
    assert 0 < sum(invalid) == summary.invalid
    status = table.column("jb_new_ip_service_firm.status").to_pylist()
    assert all(s == "invalid" for s, bad in zip(status, invalid) if bad)
    assert all(e > 0 for e, bad in zip(table.column("errors").to_pylist(), invalid) if bad)
    duplicates = [d for d in table.column("duplicate_of").to_pylist() if d is not None]
    assert duplicates and summary.duplicates == len(duplicates)
    errors = pacsv.read_csv(Path(str(out["csv"]) + ".errors.csv"))
    assert errors.num_rows == summary.errors
    assert set(errors.column("field").to_pylist()) >= {"credit_code", "revenue", "employees"}
    assert all(m for m in errors.column("message_zh").to_pylist())


def assert_file_matches_single(source: Path, out: Path, pack: Any, as_of: date, encoding: str = "utf-8") -> None:
    """Each row of the file, validated and evaluated alone, gets the batch's decision for every policy."""
    screen(source, out, pack=pack, as_of=as_of)
    table = read_output(out).to_pylist()
    with source.open(encoding=encoding, newline="") as handle:
        records = list(csv.DictReader(handle))
    assert len(records) == len(table)
    for record, row in zip(records, table):
        names = {k: KEY_BY_LABEL.get(k, k) for k in record}
        raw = {names[k]: raw_cell(names[k], v.strip() or None) for k, v in record.items()}
        try:
            profile = parse_profile({k: v for k, v in raw.items() if v is not None})
        except ProfileInputError:
            assert all(row[f"{p}.status"] == "invalid" for p in pack.policies if f"{p}.status" in row), row
            continue
        assessment = evaluate(profile, pack, as_of)
        for fact in ("ip_strength", "ip_strength_tier"):  # shown beside the decisions when the pack has them
            if fact in row:
                assert row[fact] == assessment.facts[fact], (row, fact)
        for decision in assessment.decisions:
            assert row[f"{decision.id}.status"] == decision.status, (row, decision.reasons)
            for state in ("unmet", "unknown"):
                expected = {leaf.id for leaf in leaves(decision.conditions) if leaf.status == state}
                if decision.status == "eligible":  # an eligible row lists no unmet any-of alternatives
                    expected = set()
                got = row[f"{decision.id}.{state}"]
                assert (set(got.split(",")) if got else set()) == expected, (row, state)


def leaves(result: Any) -> Any:
    if not result.children:
        yield result
    for child in result.children:
        yield from leaves(child)


def test_batch_file_equals_single_profile(messy: dict[str, Path], tmp_path: Path) -> None:
    assert_file_matches_single(messy["csv"], tmp_path / "out.csv", MAIN, AS_OF, "gb18030")


@pytest.mark.parametrize("day", [date(2024, 6, 1), date(2025, 6, 30)])
def test_construct_pack_file_equals_single_profile(tmp_path: Path, day: date) -> None:
    """Scorecards, titles, lookups and every function, through the file path, as the single-profile evaluator."""
    source = tmp_path / "in.csv"
    scored_applicants(600, 9, source, messy=0.1)
    assert_file_matches_single(source, tmp_path / "out.parquet", CONSTRUCTS, day)


def test_outputs_agree_across_formats_and_workers(messy: dict[str, Path], tmp_path: Path) -> None:
    parquet, csv_out = tmp_path / "a.parquet", tmp_path / "b.csv"
    screen(messy["csv"], parquet, chunk_rows=128)
    screen(messy["csv"], csv_out, chunk_rows=300, workers=2)
    a, b = read_output(parquet), read_output(csv_out)
    assert a.column_names == b.column_names
    for name in a.column_names:
        assert a.column(name).to_pylist() == b.column(name).to_pylist(), name


def scored_applicants(n: int, seed: int, path: Path, messy: float = 0.0) -> None:
    """Generated applicants (the generator covers the facts the construct pack's scorecard reads)."""
    cols = generate(n, seed, messy)
    table = pa.table({k: pa.array(v, type=pa.string()) for k, v in cols.items()})
    if path.suffix == ".parquet":
        pq.write_table(table, path)
    else:
        pacsv.write_csv(table, path)


def test_ranking_is_documented_order(tmp_path: Path) -> None:
    """Funded and waiting follow the documented key: score, registration date, credit code, row."""
    source, out = tmp_path / "in.parquet", tmp_path / "out.csv"
    scored_applicants(800, 3, source)
    day = date(2024, 6, 1)
    allocations = [Allocation("p_score", budget=200.0)]
    screen(source, out, pack=CONSTRUCTS, as_of=day, allocations=allocations)
    rows = read_output(out).to_pylist()
    inputs = pq.read_table(source).to_pylist()
    eligible = [r for r in rows if r["p_score.status"] == "eligible"]
    assert len(eligible) > 5 and any(r["innov.score"] is not None for r in eligible)
    ranked = sorted(eligible, key=lambda r: r["p_score.rank"])

    def key(r: dict[str, Any]) -> tuple[Any, ...]:
        registered = inputs[r["row"] - 2]["registration_date"] or "9999"
        score = r["innov.score"]
        return (-score if score is not None else float("inf"), registered, r["credit_code"] or "\uffff", r["row"])

    assert [key(r) for r in ranked] == sorted(key(r) for r in ranked)
    funded = [r for r in ranked if r["p_score.funded"] == "funded"]
    assert [r["p_score.funded"] for r in ranked] == ["funded"] * len(funded) + ["waiting"] * (len(ranked) - len(funded))
    spent = sum(r["p_score.amount"] for r in funded)
    assert spent <= 200.0
    if len(funded) < len(ranked):
        assert spent + ranked[len(funded)]["p_score.amount"] > 200.0
    assert all(r["p_score.rank"] is None for r in rows if r["p_score.status"] != "eligible")


def test_scorecard_columns_and_summary(tmp_path: Path) -> None:
    source, out = tmp_path / "in.csv", tmp_path / "out.parquet"
    scored_applicants(300, 5, source)
    summary = screen(source, out, pack=CONSTRUCTS, as_of=date(2024, 6, 1))
    table = read_output(out)
    scores = [s for s in table.column("innov.score").to_pylist() if s is not None]
    assert scores and all(0 <= s <= 110 for s in scores)
    lines = summary.table()
    assert sum(c for section, item, c, _ in lines if section == "innov" and item.startswith("score ")) == 300
    assert sum(c for section, item, c, _ in lines if section == "innov" and item.startswith("score unknown")) < 300
    assert any(section == "p_score" and item.startswith("eligible") for section, item, _, _ in lines)


# --- command line ---------------------------------------------------------------------------


def test_cli_generate_is_reproducible(tmp_path: Path) -> None:
    runner = CliRunner()
    files = [tmp_path / f"{name}.csv" for name in ("a", "b", "c")]
    for path, seed in zip(files, (1, 1, 2)):
        result = runner.invoke(main, ["generate", "200", "-o", str(path), "--seed", str(seed), "--messy", "0.1"])
        assert result.exit_code == 0, result.output
    assert files[0].read_bytes() == files[1].read_bytes() != files[2].read_bytes()
    assert files[0].read_text(encoding="utf-8").startswith('"统一社会信用代码"')


def test_cli_screen_and_bilingual_errors(messy: dict[str, Path], tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "o.csv"
    result = runner.invoke(
        main,
        ["screen", str(messy["csv"]), "-o", str(out), "--as-of", "2025-06-30", "--quota", "jb_new_ip_service_firm=2"],
    )
    assert result.exit_code == 0, result.output
    assert "1,000 行" in result.output and out.exists() and Path(str(out) + ".summary.csv").exists()
    missing = runner.invoke(main, ["screen", str(tmp_path / "nope.csv"), "-o", str(out)])
    assert missing.exit_code == 2 and "文件不存在" in missing.output and "not found" in missing.output
    odd = runner.invoke(main, ["screen", str(messy["csv"]), "-o", str(tmp_path / "o.txt")])
    assert odd.exit_code == 2 and "不支持" in odd.output and "unsupported" in odd.output
    unknown = runner.invoke(main, ["screen", str(messy["csv"]), "-o", str(out), "--policies", "nope"])
    assert unknown.exit_code == 2 and "没有名为「nope」的措施" in unknown.output and "贯标认证奖励" in unknown.output
    quota = runner.invoke(main, ["screen", str(messy["csv"]), "-o", str(out), "--quota", "x=abc"])
    assert quota.exit_code == 2 and "MEASURE=NUMBER" in quota.output


def test_unknown_columns_stop_the_run_unless_accepted(tmp_path: Path) -> None:
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text("序号,统一社会信用代码,从业人员数,营收入\n1,91500105MA5U00011E,12,30\n", encoding="utf-8")
    with pytest.raises(TableError) as stopped:
        screen(source, out)
    assert "营收入" in stopped.value.zh and "是否指：营业收入（revenue）" in stopped.value.zh
    assert "did you mean: revenue" in stopped.value.en and not out.exists()
    summary = screen(source, out, ignore_unknown_columns=True)
    assert summary.skipped_columns == ["营收入", "序号"]  # 序号 is on the declared ignore list
    errors = pacsv.read_csv(Path(str(out) + ".errors.csv")).to_pylist()
    assert errors[0]["row"] == 1 and errors[0]["field"] == "营收入" and "无法识别" in errors[0]["message_zh"]
    assert read_output(out).num_rows == 1


def test_progress_only_on_a_terminal() -> None:
    assert terminal_progress(io.StringIO()) is None

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    report = terminal_progress(stream)
    assert report is not None
    report(1000, 0.5)
    assert "1,000" in stream.getvalue() and "2,000" in stream.getvalue()


def test_generated_data_is_valid_and_correlated() -> None:
    cols = generate(2000, seed=11, blanks=0)
    for row in range(0, 2000, 97):
        parse_profile({k: raw_cell(k, v[row]) for k, v in cols.items() if v[row] is not None})
    number = lambda name: np.array([float(v) for v in cols[name]])  # noqa: E731
    assert np.corrcoef(number("rd_expense"), number("invention_patents"))[0, 1] > 0.3
    assert np.corrcoef(np.log1p(number("revenue")), np.log1p(number("total_assets")))[0, 1] > 0.5
    held = np.array(["高新技术企业" in t for t in cols["titles"]])
    rd_ratio = number("rd_expense") / np.maximum(number("revenue"), 1e-9)
    assert 0.03 < held.mean() < 0.2 and rd_ratio[held].mean() > 1.8 * rd_ratio[~held].mean()
    assert all(a <= b for a, b in zip(number("rd_expense_domestic_prior"), number("rd_expense_prior")))


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_dask_engine_equals_local(messy: dict[str, Path], tmp_path: Path, kind: str) -> None:
    """The chunk evaluator on each chunk (four of them), on a local cluster, gives the local result."""
    pytest.importorskip("dask.distributed")
    local, distributed = tmp_path / "local.parquet", tmp_path / "dask.parquet"
    screen(messy[kind], local, chunk_rows=250, allocations=[Allocation("jb_new_ip_service_firm", quota=4)])
    summary = screen(
        messy[kind],
        distributed,
        chunk_rows=250,
        engine="dask",
        allocations=[Allocation("jb_new_ip_service_firm", quota=4)],
    )
    assert read_output(local).equals(read_output(distributed))
    assert summary.rows == 1000
    for suffix in (".errors.csv", ".summary.csv"):
        assert Path(str(local) + suffix).read_bytes() == Path(str(distributed) + suffix).read_bytes()


def test_dask_engine_reads_csv_dialects_like_the_local_engine(tmp_path: Path) -> None:
    """GBK, `;` as delimiter, a title row above the header and a ragged record: `--engine dask` reads through
    engine.batch.csvread as the local engine does (it used dd.read_csv: every row empty, or a crash)."""
    pytest.importorskip("dask.distributed")
    source = tmp_path / "gbk.csv"
    source.write_bytes(
        "2025年申报汇总表\n企业名称;成立日期;注册地行政区划代码;国民经济行业代码;从业人员数\n"
        "甲公司;2024-03-01;500105;M7520;12\n乙公司;2015-06-18;500105;C3484\n丙公司;2023-01-05;500105;M7520;8\n".encode(
            "gb18030"
        )
    )
    local, distributed = tmp_path / "local.parquet", tmp_path / "dask.parquet"
    screen(source, local, chunk_rows=2)
    summary = screen(source, distributed, chunk_rows=2, engine="dask")
    out = read_output(distributed)
    assert read_output(local).equals(out) and summary.rows == 3 and summary.invalid == 1
    assert out.column("row").to_pylist() == [3, 4, 5]  # the spreadsheet's rows, under the title row
    assert out.column("name").to_pylist()[0] == "甲公司"
    for suffix in (".errors.csv", ".summary.csv"):
        assert Path(str(local) + suffix).read_bytes() == Path(str(distributed) + suffix).read_bytes()


def test_typed_parquet_reads_like_text(tmp_path: Path) -> None:
    """Numbers, booleans, dates and timestamps stored typed in Parquet screen as their text does in CSV."""
    import datetime as dt

    typed = pa.table(
        {
            "credit_code": [make_credit_code("500105", "MA5U0001"), make_credit_code("500106", "MA5U0002"), None],
            "registration_date": pa.array([dt.datetime(2024, 3, 1), dt.datetime(2019, 1, 5), None]),
            "division_code": pa.array([500105, 500106, None], pa.int64()),
            "industry_code": ["M7520", "C39", None],
            "ip_service_business": [True, False, None],
            "serious_dishonesty_list": [False, False, True],
            "ip_penalty_free": [True, True, None],
            "employees": pa.array([12.0, 300.0, None]),
            "revenue": pa.array([320.5, 1e4, 0.0]),
        }
    )
    text = pa.table({name: pc.cast(column, pa.string()) for name, column in zip(typed.column_names, typed.columns)})
    text = text.set_column(1, "registration_date", pa.array(["2024-03-01", "2019-01-05", None]))
    pq.write_table(typed, tmp_path / "typed.parquet")
    pacsv.write_csv(text, tmp_path / "text.csv")
    screen(tmp_path / "typed.parquet", tmp_path / "a.parquet")
    screen(tmp_path / "text.csv", tmp_path / "b.parquet")
    a, b = read_output(tmp_path / "a.parquet"), read_output(tmp_path / "b.parquet")
    assert a.equals(b)
    assert a.column("valid").to_pylist() == [True, True, True]
    assert a.column("jb_new_ip_service_firm.status").to_pylist()[0] == "eligible"


@settings(max_examples=150, deadline=None)
@given(
    codes=st.lists(
        st.one_of(
            st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXYIOZSV", min_size=17, max_size=19),
            st.tuples(
                st.sampled_from(["500105", "500106", "110101"]),
                st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8),
                st.integers(0, 17),
                st.sampled_from("0123456789ABCDEFGHJKLMNPQRTUWXY"),
            ).map(lambda t: (lambda c: c[: t[2]] + t[3] + c[t[2] + 1 :])(make_credit_code(t[0], t[1]))),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_column_credit_code_check_agrees_with_the_validator(codes: list[str]) -> None:
    """The column-wise GB 32100 screen accepts exactly the codes validate_credit_code accepts."""
    from engine.batch.tabular import credit_codes_ok
    from engine.model.creditcode import CreditCodeError, validate_credit_code

    def valid(code: str) -> bool:
        try:
            validate_credit_code(code)
            return True
        except CreditCodeError:
            return False

    assert credit_codes_ok(pa.array(codes, type=pa.string())).tolist() == [valid(c) for c in codes]


def test_generator_covers_every_fact_the_pack_reads() -> None:
    """Every profile field read by any expression of the full pack (has_title reads titles) is generated."""
    from engine.batch.generate import COLUMNS
    from engine.language import expr as ex
    from engine.language.loader import expressions_of

    read: set[str] = set()
    for obj in [*MAIN.derived.values(), *MAIN.scorecards.values(), *(v for vs in MAIN.policies.values() for v in vs)]:
        for expression in expressions_of(obj):
            read |= ex.names(expression.ast) | ({"titles"} if "has_title(" in expression.text else set())
    assert read & set(KEY_BY_LABEL.values()) <= set(COLUMNS)


def test_clean_generated_rows_all_parse_and_screen_without_errors(tmp_path: Path) -> None:
    cols = generate(3000, seed=5)
    for row in range(0, 3000, 7):
        parse_profile({k: raw_cell(k, v[row]) for k, v in cols.items() if v[row] is not None})
    write_table(cols, tmp_path / "clean.csv")
    summary = screen(tmp_path / "clean.csv", tmp_path / "clean.parquet")
    table = pq.read_table(tmp_path / "clean.parquet")
    assert all(table.column("valid").to_pylist()) and summary.rows == 3000
    statuses = set(table.column("innovative_sme.status").to_pylist())
    assert statuses == {"eligible", "ineligible", "undetermined"}
    assert generate(50, seed=5)["revenue"].tolist() == generate(50, seed=5)["revenue"].tolist()


def test_a_fresh_process_screens_a_table_without_titles(tmp_path: Path) -> None:
    """The batch has_title keeps every title seen so far per process; in a process that had seen none (a new
    CLI run, a Dask worker) it failed with KeyError 'code' on the first table without a titles column."""
    import subprocess
    import sys

    source = tmp_path / "in.csv"
    source.write_text("企业名称,注册地行政区划代码,国民经济行业代码\n甲公司,500105,M7520\n", encoding="utf-8")
    out = tmp_path / "out.parquet"
    run = subprocess.run(
        [sys.executable, "-m", "engine", "screen", str(source), "-o", str(out), "--as-of", "2025-06-30"],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert read_output(out).num_rows == 1
