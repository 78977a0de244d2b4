"""`ipcheck generate`: synthetic applicant tables for demos, tests and benchmarks.

Reproducible (same N, seed and options give the same file) and correlated: the industry sets
the size, revenue per employee, R&D intensity and patent rate; titles follow R&D intensity
and patents. The figures are invented: they resemble Chongqing SMEs in shape only.

With --messy F, a fraction F of rows is damaged the way real submissions are: blank key
cells, invalid credit codes, text in number columns, negative counts, inconsistent pairs
(more R&D staff than staff), duplicated credit codes, and headers in Chinese.
"""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import click
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .creditcode import ALPHABET, make_credit_code
from .profile import field_kind, label_zh

REFERENCE = date(2025, 12, 31)      # "today" of the synthetic world: no date after it

# section/division code, share, employees (log-mean), revenue per employee 万元 (log-mean), R&D ratio (beta a, b)
INDUSTRIES: list[tuple[str, float, float, float, tuple[float, float]]] = [
    ("C3484", 0.10, 4.6, 3.9, (2.0, 60.0)), ("C3911", 0.08, 4.3, 4.1, (3.0, 45.0)),
    ("C2710", 0.05, 4.8, 4.2, (3.0, 50.0)), ("C1311", 0.06, 4.0, 4.0, (1.0, 120.0)),
    ("C3670", 0.08, 5.0, 4.3, (2.0, 70.0)), ("I6513", 0.12, 3.5, 3.3, (4.0, 30.0)),
    ("I6311", 0.04, 3.9, 3.6, (2.0, 50.0)), ("M7520", 0.07, 2.6, 2.9, (1.0, 60.0)),
    ("M7320", 0.06, 3.2, 3.0, (5.0, 25.0)), ("L7212", 0.10, 3.3, 3.4, (0.5, 150.0)),
    ("F5123", 0.14, 2.9, 4.4, (0.3, 300.0)), ("G5430", 0.05, 3.8, 3.7, (0.3, 300.0)),
    ("R8610", 0.05, 2.8, 3.1, (0.5, 150.0)),
]
DIVISIONS = (["500105"] * 8 + ["500103", "500106", "500107", "500108", "500112", "500113", "500119", "500120"])
NAME_WORDS = np.array(["渝江", "嘉陵", "两江", "观音桥", "寸滩", "铁山坪", "鸿恩", "五里店", "石马河", "大石坝"], dtype=object)
KIND_WORDS = {"C": "制造", "I": "信息技术", "M": "科技服务", "L": "商务咨询", "F": "商贸", "G": "物流", "R": "文化传媒"}
COLUMNS = ["credit_code", "name", "registration_date", "division_code", "industry_code", "legal_person",
           "ip_service_business", "employees", "rd_staff", "revenue", "revenue_prior", "total_assets",
           "total_liabilities", "rd_expense", "invention_patents", "utility_models", "software_copyrights",
           "trademarks", "titles", "serious_dishonesty_list", "abnormal_operation_list"]


def generate(n: int, seed: int = 0, messy: float = 0.0) -> dict[str, np.ndarray]:
    """Columns of n synthetic applicants (object arrays; None = blank cell)."""
    rng = np.random.default_rng(seed)
    shares = np.array([i[1] for i in INDUSTRIES])
    which = rng.choice(len(INDUSTRIES), size=n, p=shares / shares.sum())
    emp_mu, rev_mu = np.array([i[2] for i in INDUSTRIES])[which], np.array([i[3] for i in INDUSTRIES])[which]
    beta = np.array([i[4] for i in INDUSTRIES])[which]
    employees = np.maximum(1, np.round(rng.lognormal(emp_mu, 1.0))).astype(np.int64)
    revenue = np.round(employees * rng.lognormal(rev_mu - 1.5, 0.7), 1)
    rd_ratio = rng.beta(beta[:, 0], beta[:, 1])
    rd_expense = np.round(revenue * rd_ratio, 1)
    rd_staff = np.minimum(employees, np.round(employees * np.clip(rd_ratio * 4 + rng.normal(0, 0.03, n), 0, 1)))
    age_days = np.minimum(rng.exponential(8 * 365, n), 40 * 365).astype(np.int64)
    registered = np.datetime64(REFERENCE) - age_days
    patents = rng.poisson(rd_expense / 150 + 0.1)
    industry = np.array([i[0] for i in INDUSTRIES], dtype=object)[which]
    cols: dict[str, Any] = {
        "credit_code": None, "name": None,
        "registration_date": np.datetime_as_string(registered, unit="D").astype(object),
        "division_code": np.array(DIVISIONS, dtype=object)[rng.integers(0, len(DIVISIONS), n)],
        "industry_code": industry,
        "legal_person": rng.random(n) > 0.03,
        "ip_service_business": np.where(industry == "M7520", rng.random(n) > 0.1, rng.random(n) > 0.98),
        "employees": employees, "rd_staff": rd_staff.astype(np.int64), "revenue": revenue,
        "revenue_prior": np.round(revenue / rng.lognormal(0.08, 0.2, n), 1),
        "total_assets": np.round(revenue * rng.lognormal(0.0, 0.5, n), 1),
        "total_liabilities": None, "rd_expense": rd_expense, "invention_patents": patents,
        "utility_models": rng.poisson(patents * 1.5 + 0.5),
        "software_copyrights": rng.poisson(np.where(np.char.startswith(industry.astype(str), "I"), 8.0, 1.0)),
        "trademarks": rng.poisson(2.0, n),
        "serious_dishonesty_list": rng.random(n) < 0.01, "abnormal_operation_list": rng.random(n) < 0.03}
    cols["total_liabilities"] = np.round(cols["total_assets"] * rng.beta(2, 3, n), 1)
    cols["credit_code"] = np.array([make_credit_code(d, _org8(i, seed)) for i, d in enumerate(cols["division_code"])],
                                   dtype=object)
    cols["name"] = (NAME_WORDS[rng.integers(0, len(NAME_WORDS), n)] +
                    np.array([f"{i:07d}" for i in range(n)], dtype=object) +
                    np.array([KIND_WORDS[c[0]] for c in industry], dtype=object) + "有限公司（示例）")
    cols["titles"] = _titles(rng, n, rd_ratio, patents, registered)
    out = {name: _text(cols[name]) for name in COLUMNS}
    for name, share in (("rd_staff", 0.05), ("revenue_prior", 0.08), ("total_liabilities", 0.05), ("titles", 0.15)):
        out[name][rng.random(n) < share] = None        # incompleteness of ordinary submissions
    if messy > 0:
        _damage(out, rng, messy)
    return out


def _org8(i: int, seed: int) -> str:
    """Eight distinct characters of the code alphabet for applicant i (unique within a file)."""
    value, chars = i + seed * 7919, []
    for _ in range(8):
        value, digit = divmod(value, len(ALPHABET))
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def _titles(rng: np.random.Generator, n: int, rd_ratio: np.ndarray, patents: np.ndarray,
            registered: np.ndarray) -> np.ndarray:
    """Titles as table text, more likely with R&D intensity and patents."""
    out = np.full(n, "无", dtype=object)
    strength = np.clip(rd_ratio * 10 + patents / 10, 0, 1.5)
    high_tech = rng.random(n) < 0.35 * strength
    innovative = rng.random(n) < 0.25 + 0.3 * strength
    specialised = innovative & (rng.random(n) < 0.25 * strength)
    start = np.datetime64(REFERENCE) - rng.integers(30, 3 * 365, n)
    for i in np.flatnonzero(high_tech | innovative):
        begin: date = max(start[i], registered[i]).astype(object)
        parts = []
        if high_tech[i]:
            parts.append(f"高新技术企业|国家级|{begin}|{begin + timedelta(days=3 * 365)}")
        if innovative[i]:
            parts.append(f"创新型中小企业|省级|{begin}|{begin + timedelta(days=3 * 365)}")
        if specialised[i]:
            parts.append(f"专精特新中小企业|省级|{begin}")
        out[i] = "; ".join(parts)
    return out


def _text(values: np.ndarray) -> np.ndarray:
    """A column as the text a spreadsheet cell would hold."""
    values = np.asarray(values)
    if values.dtype == bool:
        return np.where(values, "true", "false").astype(object)
    if values.dtype.kind in "iu":
        return values.astype(str).astype(object)
    if values.dtype.kind == "f":
        return values.astype(str).astype(object)
    return values.astype(object)


def _damage(cols: dict[str, np.ndarray], rng: np.random.Generator, fraction: float) -> None:
    """Damage a fraction of rows, one kind of damage each."""
    n = len(cols["credit_code"])
    rows = np.flatnonzero(rng.random(n) < fraction)
    kinds = rng.integers(0, 7, len(rows))
    for row, kind in zip(rows.tolist(), kinds.tolist()):
        if kind == 0:                                           # blank key cells
            for name in ("employees", "revenue", "industry_code"):
                cols[name][row] = None
        elif kind == 1:                                         # a typo in the credit code
            code = cols["credit_code"][row]
            cols["credit_code"][row] = code[:17] + ("0" if code[17] != "0" else "1")
        elif kind == 2:                                         # text where a number belongs
            cols["revenue"][row] = rng.choice(["N/A", "约500", "1,200", "待补充"])
        elif kind == 3:                                         # negative count
            cols["employees"][row] = str(-int(rng.integers(1, 50)))
        elif kind == 4 and cols["employees"][row] is not None:  # more R&D staff than staff
            cols["rd_staff"][row] = str(int(cols["employees"][row]) + int(rng.integers(1, 20)))
        elif kind == 5 and row > 0:                             # the credit code of an earlier row
            cols["credit_code"][row] = cols["credit_code"][int(rng.integers(0, row))]
        elif kind == 6:                                         # a date written the Chinese way, or impossible
            cols["registration_date"][row] = rng.choice(["2019年5月8日", "2021/13/01", "去年"])


def write_table(cols: dict[str, np.ndarray], path: Path, headers: str = "en", encoding: str = "utf-8") -> None:
    names = [label_zh(c) if headers == "zh" else c for c in COLUMNS]
    table = pa.table([pa.array(cols[c], type=pa.string()) for c in COLUMNS], names=names)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        pq.write_table(table, path)
    elif suffix == ".csv" and encoding.lower() in ("utf-8", "utf8"):
        pacsv.write_csv(table, path)
    elif suffix == ".csv":
        text = table.to_pandas().to_csv(index=False)
        path.write_bytes(text.encode(encoding))
    elif suffix == ".xlsx":
        _write_xlsx(table, path)
    else:
        raise click.BadParameter(f"{path}: use .csv, .xlsx or .parquet / 请使用 .csv、.xlsx 或 .parquet")


def _write_xlsx(table: pa.Table, path: Path) -> None:
    """Numbers as number cells (as people type them), everything else as text."""
    import xlsxwriter
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("申报企业")
    sheet.write_row(0, 0, table.column_names)
    columns = [[_number_or_text(v, field_kind(name) in ("number", "integer")) for v in table.column(i).to_pylist()]
               for i, name in enumerate(COLUMNS)]
    for r in range(table.num_rows):
        sheet.write_row(r + 1, 0, [col[r] for col in columns])
    book.close()


def _number_or_text(value: str | None, numeric: bool) -> Any:
    if value is None:
        return ""
    if numeric:
        try:
            return float(value)
        except ValueError:
            return value
    return value


@click.command(name="generate")
@click.argument("n", type=click.IntRange(min=1))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True, help=".csv / .xlsx / .parquet")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("--messy", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="Fraction of damaged rows (also switches headers to Chinese) / 脏数据比例")
@click.option("--headers", type=click.Choice(["en", "zh"]), default=None, help="Header language (default en; zh if --messy)")
@click.option("--encoding", type=click.Choice(["utf-8", "gbk"]), default="utf-8", show_default=True, help="CSV encoding")
def generate_command(n: int, output: Path, seed: int, messy: float, headers: str | None, encoding: str) -> None:
    """Write N synthetic applicants / 生成模拟申报企业数据"""
    cols = generate(n, seed, messy)
    write_table(cols, output, headers or ("zh" if messy > 0 else "en"), encoding)
    click.echo(f"{n} 家模拟企业 / synthetic applicants -> {output}")


if __name__ == "__main__":
    generate_command()
