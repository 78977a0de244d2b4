"""`ipcheck generate`: synthetic applicant tables for demos, tests, benchmarks and `ipcheck rules diff`.

Reproducible (same N, seed and options give the same file) and correlated. Shared draws come
first: the industry sets size, revenue per employee and R&D intensity; R&D sets the invention
patents; together they give an "innovation strength" that the other families of facts follow
(multi-year finance, IP counts by class, titles with levels and validity dates, awards, quality,
R&D institutions, expert scores, IP finance, the district measures' facts, IP-strength facts).
Every fact the rule pack reads is written (a test checks it against the pack); every clean row
passes the profile model, its bounds and its cross-field checks (part ≤ whole). Each fact has
its own share of blank cells, as ordinary submissions are incomplete. The figures are invented:
they resemble Chongqing SMEs in shape only.

With --messy F, a fraction F of rows is damaged the way real submissions are: blank key
cells, invalid credit codes, text in number columns, negative counts, inconsistent pairs
(more R&D staff than staff), duplicated credit codes, and headers in Chinese.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import click
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from engine.model.creditcode import ALPHABET, CODE_WEIGHTS, ORG_WEIGHTS
from engine.model.profile import PRODUCT_FIELDS, TITLES, field_kind, label_zh

REFERENCE = date(2025, 12, 31)  # "today" of the synthetic world: no date after it

# section/division code, share, employees (log-mean), revenue per employee 万元 (log-mean), R&D ratio (beta a, b)
INDUSTRIES: list[tuple[str, float, float, float, tuple[float, float]]] = [
    ("C3484", 0.10, 4.6, 3.9, (2.0, 60.0)),
    ("C3911", 0.08, 4.3, 4.1, (3.0, 45.0)),
    ("C2710", 0.05, 4.8, 4.2, (3.0, 50.0)),
    ("C1311", 0.06, 4.0, 4.0, (1.0, 120.0)),
    ("C3670", 0.08, 5.0, 4.3, (2.0, 70.0)),
    ("I6513", 0.12, 3.5, 3.3, (4.0, 30.0)),
    ("I6311", 0.04, 3.9, 3.6, (2.0, 50.0)),
    ("M7520", 0.07, 2.6, 2.9, (1.0, 60.0)),
    ("M7320", 0.06, 3.2, 3.0, (5.0, 25.0)),
    ("L7212", 0.10, 3.3, 3.4, (0.5, 150.0)),
    ("F5123", 0.14, 2.9, 4.4, (0.3, 300.0)),
    ("G5430", 0.05, 3.8, 3.7, (0.3, 300.0)),
    ("R8610", 0.05, 2.8, 3.1, (0.5, 150.0)),
]
DIVISIONS = ["500105"] * 8 + ["500103", "500106", "500107", "500108", "500112", "500113", "500119", "500120"]
NAME_WORDS = np.array(
    ["渝江", "嘉陵", "两江", "观音桥", "寸滩", "铁山坪", "鸿恩", "五里店", "石马河", "大石坝"], dtype=object
)
KIND_WORDS = {"C": "制造", "I": "信息技术", "M": "科技服务", "L": "商务咨询", "F": "商贸", "G": "物流", "R": "文化传媒"}
# Every fact the generator writes, by family; tests check that it covers every field the rule pack reads.
COLUMNS = [
    "credit_code",
    "name",
    "registration_date",
    "division_code",
    "industry_code",
    "legal_person",
    "ip_service_business",
    "employees",
    "rd_staff",
    "st_staff",
    "ip_staff",
    "revenue",
    "revenue_prior",
    "revenue_prior2",
    "main_revenue",
    "main_revenue_prior",
    "main_revenue_prior2",
    "total_assets",
    "total_liabilities",
    "net_assets_prior",
    "net_assets_prior2",
    "net_profit",
    "rd_expense",
    "rd_expense_prior",
    "rd_expense_prior2",
    "rd_expense_domestic",
    "rd_expense_domestic_prior",
    "rd_expense_domestic_prior2",
    "high_tech_revenue",
    "total_income",
    "equity_financing_2y",
    "equity_financing_3y",
    "niche_years",
    "strategic_emerging",
    "invention_patents",
    "high_value_invention_patents",
    "class1_ip",
    "class1_ip_self_developed",
    "class1_high_value_ip",
    "class2_ip",
    "utility_models",
    "designs",
    "software_copyrights",
    "trademarks",
    "madrid_registrations",
    "madrid_registrations_new",
    "pct_applications",
    "geographical_indications",
    "collective_certification_marks",
    "gi_mark_user",
    "work_copyright_registrations",
    "ip_conversions_3y",
    "licensing_deals",
    "titles",
    "has_rd_institution",
    "rd_institution_level",
    "digitalisation_level",
    "abnormal_operation_list",
    "serious_dishonesty_list",
    "major_accident_3y",
    "tax_violation_3y",
    "major_violation_1y",
    "prohibited_products",
    "ip_penalty_free",
    "ip_penalties_3y",
    "last_ip_penalty_date",
    "pledge_loan_amount",
    "pledge_interest_paid",
    "pledge_collateral_patent_or_trademark",
    "hvp_max_pledge_amount",
    "ip_insurance_premium",
    "copyright_pledge_loan_amount",
    "ip_operation_body",
    "leading_enterprise",
    "builds_industry_ip_database",
    "builds_ip_trusteeship_platform",
    "gbt29490_reward_received",
    "patent_navigation_project",
    "patent_product_revenue",
    "overseas_patent_families",
    "invention_patents_10y",
    "ip_disputes_won",
    "ip_budget",
    "patent_attorneys",
    "ip_service_clients",
    "sci_tech_award_3y",
    "sci_tech_award_level_3y",
    "sci_tech_award_rank_3y",
    "maker_china_top500_3y",
    "main_product_field",
    "quality_award_provincial",
    "quality_system_certified",
    "own_brand",
    "drafted_standards",
    "key_supported_field",
    "hte_tech_level_score",
    "hte_core_support_score",
    "hte_ip_acquisition_score",
    "hte_rd_management_score",
    "hvp_strategic_emerging",
    "hvp_overseas_family",
    "hvp_award",
]


def generate(n: int, seed: int = 0, messy: float = 0.0, blanks: float = 0.35) -> dict[str, np.ndarray]:
    """Columns of n synthetic applicants as object arrays of cell text (None = blank cell)."""
    return {
        name: column.to_numpy(zero_copy_only=False) for name, column in generate_arrow(n, seed, messy, blanks).items()
    }


def generate_arrow(n: int, seed: int = 0, messy: float = 0.0, blanks: float = 0.35) -> dict[str, pa.Array]:
    """Columns of n synthetic applicants as Arrow text arrays (null = blank cell): fast at millions of rows.

    Each fact has its own share of blank cells (ordinary incompleteness), scaled by `blanks`.
    """
    rng = np.random.default_rng(seed)
    f = _Firms(rng, n)
    text: dict[str, pa.Array] = {}
    for family in (
        f.identity,
        f.people_and_money,
        f.ip_holdings,
        f.capability,
        f.compliance,
        f.ip_finance,
        f.district_measures,
        f.ip_strength,
        f.designation_inputs,
        lambda: {"credit_code": (_credit_codes(f.division, seed), 0.0), "titles": (_titles(rng, f), 0.12)},
    ):
        for name, (column, missing) in family().items():  # to text family by family: bounded memory
            text[name] = _text(column, rng.random(n) < missing * blanks if missing else None)
    out = {name: text[name] for name in COLUMNS}
    if messy > 0:
        damaged = {name: out[name].to_numpy(zero_copy_only=False).copy() for name in DAMAGED}
        _damage(damaged, rng, messy)
        out |= {name: pa.array(column, type=pa.string()) for name, column in damaged.items()}
    return out


class _Firms:
    """The shared draws (industry, size, R&D intensity, patents) every family of facts is correlated with."""

    def __init__(self, rng: np.random.Generator, n: int) -> None:
        self.rng, self.n = rng, n
        shares = np.array([i[1] for i in INDUSTRIES])
        which = rng.choice(len(INDUSTRIES), size=n, p=shares / shares.sum())
        self.industry = np.array([i[0] for i in INDUSTRIES], dtype=object)[which]
        self.section = np.array([i[0][0] for i in INDUSTRIES])[which]
        emp_mu, rev_mu = np.array([i[2] for i in INDUSTRIES])[which], np.array([i[3] for i in INDUSTRIES])[which]
        beta = np.array([i[4] for i in INDUSTRIES])[which]
        self.employees = np.maximum(1, np.round(rng.lognormal(emp_mu, 1.0))).astype(np.int64)
        self.revenue = np.round(self.employees * rng.lognormal(rev_mu - 1.5, 0.7), 1)
        self.rd_ratio = rng.beta(beta[:, 0], beta[:, 1])
        self.rd_expense = np.round(self.revenue * self.rd_ratio, 1)
        self.age_days = np.minimum(rng.exponential(8 * 365, n), 40 * 365).astype(np.int64)
        self.registered = np.datetime64(REFERENCE) - self.age_days
        self.patents = rng.poisson(self.rd_expense / 150 + 0.1)
        self.ip_service = self.industry == "M7520"
        self.division = np.array(DIVISIONS, dtype=object)[rng.integers(0, len(DIVISIONS), n)]
        # innovation strength: R&D intensity and patents, 0 (none) to about 1.5
        self.strength = np.clip(self.rd_ratio * 10 + self.patents / 10, 0, 1.5)

    def chance(self, p: Any) -> np.ndarray:
        return self.rng.random(self.n) < p

    def count(self, mean: Any) -> np.ndarray:
        return self.rng.poisson(np.broadcast_to(np.asarray(mean, dtype=float), (self.n,)))

    def share_of(self, total: np.ndarray, a: float, b: float) -> np.ndarray:
        """A part of `total` (beta-distributed share), rounded so that it never exceeds it."""
        return np.minimum(np.round(total * self.rng.beta(a, b, self.n), 1), total)

    def identity(self) -> dict[str, tuple[np.ndarray, float]]:
        rng, n = self.rng, self.n
        names = (
            NAME_WORDS[rng.integers(0, len(NAME_WORDS), n)]
            + np.array([f"{i:07d}" for i in range(n)], dtype=object)
            + np.array([KIND_WORDS[c] for c in self.section], dtype=object)
            + "有限公司（示例）"
        )
        return {
            "name": (names, 0.0),
            "registration_date": (self.registered, 0.01),
            "division_code": (self.division, 0.0),
            "industry_code": (self.industry, 0.01),
            "legal_person": (~self.chance(0.03), 0.02),
            "ip_service_business": (np.where(self.ip_service, ~self.chance(0.1), self.chance(0.02)), 0.03),
        }

    def people_and_money(self) -> dict[str, tuple[np.ndarray, float]]:
        rng, n, emp, rev = self.rng, self.n, self.employees, self.revenue
        rd_staff = np.minimum(emp, np.round(emp * np.clip(self.rd_ratio * 4 + rng.normal(0, 0.03, n), 0, 1)))
        st_staff = np.minimum(emp, rd_staff + np.round(emp * rng.beta(1, 8, n)))
        growth1, growth2 = rng.lognormal(0.08, 0.2, n), rng.lognormal(0.08, 0.2, n)
        rev1 = np.round(rev / growth1, 1)
        rev2 = np.round(rev1 / growth2, 1)
        rd1 = np.round(rev1 * self.rd_ratio * rng.lognormal(0, 0.15, n), 1)
        rd2 = np.round(rev2 * self.rd_ratio * rng.lognormal(0, 0.15, n), 1)
        assets = np.round(rev * rng.lognormal(0.0, 0.5, n), 1)
        liabilities = np.round(assets * rng.beta(2, 3, n), 1)
        equity = assets - liabilities
        funded = self.chance(0.04 + 0.12 * np.clip(self.strength, 0, 1))
        eq2 = np.where(funded & self.chance(0.7), np.round(rng.lognormal(6.5, 1.2, n), 1), 0.0)
        eq3 = np.where(funded, eq2 + np.where(self.chance(0.5), np.round(rng.lognormal(6.0, 1.2, n), 1), 0.0), 0.0)
        age_years = self.age_days / 365.25
        hi_tech = np.where(self.strength > 0.3, self.share_of(rev, 6, 3), self.share_of(rev, 1, 6))
        return {
            "employees": (emp, 0.01),
            "rd_staff": (rd_staff.astype(np.int64), 0.05),
            "st_staff": (st_staff.astype(np.int64), 0.15),
            "ip_staff": (self.count(0.2 + emp / 150 * self.strength), 0.15),
            "revenue": (rev, 0.01),
            "revenue_prior": (rev1, 0.08),
            "revenue_prior2": (rev2, 0.12),
            "main_revenue": (self.share_of(rev, 30, 1.5), 0.08),
            "main_revenue_prior": (self.share_of(rev1, 30, 1.5), 0.12),
            "main_revenue_prior2": (self.share_of(rev2, 30, 1.5), 0.15),
            "total_assets": (assets, 0.03),
            "total_liabilities": (liabilities, 0.05),
            "net_assets_prior": (np.round(equity / growth1, 1), 0.12),
            "net_assets_prior2": (np.round(equity / growth1 / growth2, 1), 0.15),
            "net_profit": (np.round(rev * rng.normal(0.05, 0.08, n), 1), 0.06),
            "rd_expense": (self.rd_expense, 0.02),
            "rd_expense_prior": (rd1, 0.08),
            "rd_expense_prior2": (rd2, 0.12),
            "rd_expense_domestic": (self.share_of(self.rd_expense, 40, 1), 0.10),
            "rd_expense_domestic_prior": (self.share_of(rd1, 40, 1), 0.12),
            "rd_expense_domestic_prior2": (self.share_of(rd2, 40, 1), 0.15),
            "high_tech_revenue": (hi_tech, 0.15),
            "total_income": (np.round(rev * rng.uniform(1.0, 1.08, n), 1), 0.10),
            "equity_financing_2y": (eq2, 0.10),
            "equity_financing_3y": (eq3, 0.10),
            "niche_years": (np.round(age_years * rng.uniform(0.3, 1.0, n), 1), 0.10),
            "strategic_emerging": (
                self.chance(
                    np.where(np.isin(self.section, ["C", "I"]), 0.15 + 0.4 * np.clip(self.strength, 0, 1), 0.05)
                ),
                0.08,
            ),
        }

    def ip_holdings(self) -> dict[str, tuple[np.ndarray, float]]:
        inv = self.patents
        software = self.count(np.where(self.section == "I", 8.0, 0.6 + self.strength))
        utility = self.count(inv * 1.5 + 0.5 * (self.section == "C") + 0.3)
        designs = self.count(np.where(np.isin(self.section, ["C", "F", "R"]), 0.8, 0.1))
        class1 = inv + self.count(0.02 * (self.section == "C"))  # plus the odd IC layout or plant variety
        self_dev = np.minimum(class1, np.round(class1 * self.rng.beta(8, 1, self.n))).astype(np.int64)
        madrid = self.count(np.where(np.isin(self.section, ["C", "F", "G"]), 0.15, 0.03))
        return {
            "invention_patents": (inv, 0.03),
            "high_value_invention_patents": (self.rng.binomial(inv, 0.3), 0.10),
            "class1_ip": (class1, 0.08),
            "class1_ip_self_developed": (self_dev, 0.12),
            "class1_high_value_ip": (self.rng.binomial(class1, 0.25), 0.15),
            "class2_ip": (utility + designs + software, 0.08),
            "utility_models": (utility, 0.03),
            "designs": (designs, 0.05),
            "software_copyrights": (software, 0.03),
            "trademarks": (self.count(1.0 + 2.0 * (self.section == "F") + np.log1p(self.employees) / 2), 0.03),
            "madrid_registrations": (madrid, 0.06),
            "madrid_registrations_new": (self.rng.binomial(madrid, 0.4), 0.08),
            "pct_applications": (self.count(inv * 0.08), 0.06),
            "geographical_indications": (self.count(np.where(self.industry == "C1311", 0.3, 0.002)), 0.06),
            "collective_certification_marks": (self.count(np.where(self.industry == "C1311", 0.2, 0.005)), 0.08),
            "gi_mark_user": (self.chance(np.where(self.industry == "C1311", 0.3, 0.003)), 0.08),
            "work_copyright_registrations": (self.count(np.where(self.section == "R", 6.0, 0.2)), 0.08),
            "ip_conversions_3y": (self.count(inv * 0.6 + 10 * np.clip(self.strength, 0, 1) ** 1.5), 0.10),
            "licensing_deals": (self.count(inv * 0.05 + 0.5 * self.ip_service), 0.10),
        }

    def capability(self) -> dict[str, tuple[np.ndarray, float]]:
        has_inst = self.chance(0.05 + 0.45 * np.clip(self.strength, 0, 1))
        level = np.array(["district", "municipal", "provincial", "national"], dtype=object)[
            np.minimum(3, self.rng.poisson(0.4 + 0.8 * self.strength))
        ]
        digital = np.clip(np.round(1.5 + 1.2 * np.clip(self.strength, 0, 1) + self.rng.normal(0, 0.8, self.n)), 1, 4)
        return {
            "has_rd_institution": (has_inst, 0.06),
            "rd_institution_level": (np.where(has_inst, level, None), 0.10),
            "digitalisation_level": (digital.astype(np.int64), 0.15),
        }

    def compliance(self) -> dict[str, tuple[np.ndarray, float]]:
        penalties = self.count(0.01)
        ago = self.rng.integers(0, 5 * 365, self.n)
        ever = (penalties > 0) | self.chance(0.01)
        return {
            "abnormal_operation_list": (self.chance(0.03), 0.03),
            "serious_dishonesty_list": (self.chance(0.01), 0.03),
            "major_accident_3y": (self.chance(0.005), 0.08),
            "tax_violation_3y": (self.chance(0.005), 0.08),
            "major_violation_1y": (self.chance(0.004), 0.08),
            "prohibited_products": (self.chance(0.004), 0.08),
            "ip_penalty_free": (~ever, 0.08),
            "ip_penalties_3y": (penalties, 0.10),
            "last_ip_penalty_date": (
                np.where(ever, np.datetime64(REFERENCE) - np.where(penalties > 0, ago % 1000, ago), None),
                0.0,
            ),
        }

    def ip_finance(self) -> dict[str, tuple[np.ndarray, float]]:
        pledged = self.chance(0.02 + 0.08 * np.clip(self.patents / 5, 0, 1))
        loan = np.where(pledged, np.round(self.rng.lognormal(5.8, 0.9, self.n), 1), 0.0)
        insured = self.chance(0.01 + 0.05 * np.clip(self.strength, 0, 1))
        copyright = self.chance(np.where(np.isin(self.section, ["I", "R"]), 0.02, 0.002))
        return {
            "pledge_loan_amount": (loan, 0.10),
            "pledge_interest_paid": (np.round(loan * self.rng.uniform(0.02, 0.045, self.n), 2), 0.15),
            "pledge_collateral_patent_or_trademark": (np.where(pledged, self.chance(0.85), False), 0.10),
            "hvp_max_pledge_amount": (
                np.where(pledged & (self.patents > 0), np.round(loan * self.rng.uniform(0.2, 1, self.n), 1), 0.0),
                0.15,
            ),
            "ip_insurance_premium": (np.where(insured, np.round(self.rng.lognormal(1.5, 0.8, self.n), 2), 0.0), 0.10),
            "copyright_pledge_loan_amount": (
                np.where(copyright, np.round(self.rng.lognormal(5.0, 0.8, self.n), 1), 0.0),
                0.10,
            ),
        }

    def district_measures(self) -> dict[str, tuple[np.ndarray, float]]:
        svc, big = self.ip_service, self.employees > 300
        return {
            "ip_operation_body": (self.chance(np.where(svc, 0.3, 0.005)), 0.10),
            "leading_enterprise": (self.chance(np.where(big, 0.25, 0.01)), 0.10),
            "builds_industry_ip_database": (self.chance(np.where(svc | big, 0.08, 0.003)), 0.10),
            "builds_ip_trusteeship_platform": (self.chance(np.where(svc, 0.08, 0.002)), 0.10),
            "gbt29490_reward_received": (self.chance(0.03), 0.10),
            "patent_navigation_project": (self.chance(0.01 + 0.05 * np.clip(self.strength, 0, 1)), 0.10),
        }

    def ip_strength(self) -> dict[str, tuple[np.ndarray, float]]:
        inv, svc = self.patents, self.ip_service
        return {
            "patent_product_revenue": (np.where(inv > 0, self.share_of(self.revenue, 2, 3), 0.0), 0.15),
            "overseas_patent_families": (self.rng.binomial(inv, 0.05), 0.10),
            "invention_patents_10y": (self.rng.binomial(inv, np.clip(self.age_days / (40 * 365), 0, 0.5)), 0.12),
            "ip_disputes_won": (self.count(0.02 + inv * 0.01), 0.10),
            "ip_budget": (np.round(self.rd_expense * self.rng.uniform(0.01, 0.08, self.n) + svc * 5, 1), 0.12),
            "patent_attorneys": (np.where(svc, self.count(2.0), 0), 0.08),
            "ip_service_clients": (np.where(svc, self.count(30.0), 0), 0.10),
        }

    def designation_inputs(self) -> dict[str, tuple[np.ndarray, float]]:
        rng, n, s = self.rng, self.n, np.clip(self.strength, 0, 1)
        award = self.chance(0.01 + 0.08 * s)
        level = np.array(["district", "municipal", "provincial", "national"], dtype=object)[
            rng.choice(4, n, p=[0.3, 0.35, 0.3, 0.05])
        ]
        fields = np.array(list(PRODUCT_FIELDS), dtype=object)[rng.choice(4, n, p=[0.15, 0.15, 0.2, 0.5])]
        # the experts' scores exist only for firms whose 高企 application has been reviewed: blank for most
        reviewed = self.chance(0.03 + 0.5 * s**2)
        score = lambda top: np.where(  # noqa: E731
            reviewed,
            np.clip(
                np.round(top * (0.35 + 0.6 * s + rng.normal(0, 0.15, n))),
                0,
                top,
            ).astype(np.int64),
            None,
        )
        return {
            "sci_tech_award_3y": (award, 0.08),
            "sci_tech_award_level_3y": (np.where(award, level, None), 0.10),
            "sci_tech_award_rank_3y": (np.where(award, 1 + rng.poisson(1.0, n), None), 0.10),
            "maker_china_top500_3y": (self.chance(0.002 + 0.01 * s), 0.10),
            "main_product_field": (fields, 0.15),
            "quality_award_provincial": (self.chance(0.005 + 0.02 * s), 0.10),
            "quality_system_certified": (self.chance(np.where(self.section == "C", 0.6, 0.25)), 0.08),
            "own_brand": (self.chance(0.4 + 0.3 * s), 0.08),
            "drafted_standards": (self.chance(0.02 + 0.15 * s), 0.10),
            "key_supported_field": (
                self.chance(np.where(np.isin(self.section, ["C", "I", "M"]), 0.2 + 0.6 * s, 0.05)),
                0.10,
            ),
            "hte_tech_level_score": (score(8), 0.02),
            "hte_core_support_score": (score(8), 0.02),
            "hte_ip_acquisition_score": (score(6), 0.02),
            "hte_rd_management_score": (score(20), 0.02),
            "hvp_strategic_emerging": (rng.binomial(self.patents, 0.3), 0.12),
            "hvp_overseas_family": (rng.binomial(self.patents, 0.04), 0.12),
            "hvp_award": (rng.binomial(self.patents, 0.005), 0.12),
        }


_ALPHA = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
_ORG_VALUE = {c: int(c) if c.isdigit() else ord(c) - ord("A") + 10 for c in ALPHABET}


def _credit_codes(division: np.ndarray, seed: int) -> np.ndarray:
    """Valid, distinct credit codes (make_credit_code's layout and check characters, column-wise).

    Applicant i gets the organisation code whose eight characters spell i + 7919 * seed in base 31.
    """
    n = len(division)
    value = np.arange(n, dtype=np.int64) + seed * 7919
    digits = np.stack([(value // len(ALPHABET) ** k) % len(ALPHABET) for k in range(7, -1, -1)], axis=1)
    org_values = np.array([_ORG_VALUE[c] for c in ALPHABET])[digits]
    org_check = 11 - (org_values @ np.array(ORG_WEIGHTS)) % 11
    org_check_char = np.where(org_check == 10, ord("X"), np.where(org_check == 11, ord("0"), org_check + ord("0")))
    prefix = np.frombuffer("".join(f"91{d}" for d in division.tolist()).encode(), dtype=np.uint8).reshape(n, 8)
    chars = np.empty((n, 18), dtype=np.uint8)
    chars[:, :8], chars[:, 8:16], chars[:, 16] = prefix, _ALPHA[digits], org_check_char
    lookup = np.full(256, 0, dtype=np.int64)
    lookup[_ALPHA] = np.arange(len(ALPHABET))
    total = lookup[chars[:, :17]] @ np.array(CODE_WEIGHTS)
    chars[:, 17] = _ALPHA[(31 - total % 31) % 31]
    return chars.view("S18").ravel().astype(str).astype(object)


# title, level, probability given innovation strength s in [0, 1]: base + slope * s; years of validity (None: open)
TITLE_DRAWS: list[tuple[str, str, float, float, int | None]] = [
    ("high_tech_enterprise", "national", 0.01, 0.25, 3),
    ("innovative_sme", "provincial", 0.05, 0.35, 3),
    ("gbt29490_certified", "national", 0.01, 0.12, 3),
    ("iso9001_certified", "national", 0.15, 0.25, 3),
    ("ip_advantage_enterprise", "provincial", 0.002, 0.05, None),
    ("ip_demonstration_enterprise", "national", 0.0, 0.01, None),
    ("tech_innovation_demo", "national", 0.0, 0.01, 3),
    ("time_honored_brand", "national", 0.002, 0.0, None),
]


def _titles(rng: np.random.Generator, f: _Firms) -> pa.Array:
    """Titles as table text (`称号|级别|起始|截止; ...`), more likely with R&D intensity and patents; 无 = none."""
    n, s = f.n, np.clip(f.strength, 0, 1)
    held = {code: rng.random(n) < base + slope * s for code, _, base, slope, _ in TITLE_DRAWS}
    held["specialized_sme"] = held["innovative_sme"] & (rng.random(n) < 0.2 + 0.3 * s)
    held["little_giant"] = held["specialized_sme"] & (rng.random(n) < 0.1 * s)
    levels = {code: level for code, level, *_ in TITLE_DRAWS} | {
        "specialized_sme": "provincial",
        "little_giant": "national",
    }
    years = {code: y for code, _, _, _, y in TITLE_DRAWS} | {"specialized_sme": 3, "little_giant": 3}
    parts = []
    for code, has in held.items():
        begin = np.maximum(np.datetime64(REFERENCE) - rng.integers(30, 4 * 365, n), f.registered)
        text = [pa.scalar(f"{TITLES[code]}|{levels[code]}|"), _text(begin)]
        if years[code]:
            text += [pa.scalar("|"), _text(begin + np.timedelta64(years[code] * 365, "D"))]
        parts.append(pc.if_else(pa.array(has), pc.binary_join_element_wise(*text, ""), pa.scalar("")))
    # (null_handling="skip" would be simpler, but pyarrow 2x drops rows whose parts are all null)
    joined = pc.binary_join_element_wise(*parts, "; ")
    joined = pc.replace_substring_regex(pc.replace_substring_regex(joined, "(; ){2,}", "; "), "^(; )+|(; )+$", "")
    return pc.if_else(pc.equal(joined, ""), pa.scalar("无"), joined)


def _text(values: Any, blank: np.ndarray | None = None) -> pa.Array:
    """A column as the text a spreadsheet cell would hold (null = blank), blanked where `blank`."""
    values = values if isinstance(values, pa.Array) else np.asarray(values)
    if isinstance(values, pa.Array):
        text = values
    elif values.dtype == object:
        text = pa.array([None if v is None else str(v) for v in values.tolist()], type=pa.string())
    else:
        if values.dtype.kind == "M":
            values = values.astype("datetime64[D]")
        text = pc.cast(pa.array(values, from_pandas=True), pa.string())
    if blank is not None and blank.any():
        text = pc.if_else(pa.array(blank), pa.scalar(None, pa.string()), text)
    return text


DAMAGED = ("credit_code", "employees", "revenue", "industry_code", "rd_staff", "registration_date")


def _damage(cols: dict[str, np.ndarray], rng: np.random.Generator, fraction: float) -> None:
    """Damage a fraction of rows, one kind of damage each."""
    n = len(cols["credit_code"])
    rows = np.flatnonzero(rng.random(n) < fraction)
    kinds = rng.integers(0, 7, len(rows))
    for row, kind in zip(rows.tolist(), kinds.tolist()):
        if kind == 0:  # blank key cells
            for name in ("employees", "revenue", "industry_code"):
                cols[name][row] = None
        elif kind == 1:  # a typo in the credit code
            code = cols["credit_code"][row]
            cols["credit_code"][row] = code[:17] + ("0" if code[17] != "0" else "1")
        elif kind == 2:  # text where a number belongs
            cols["revenue"][row] = rng.choice(["N/A", "约500", "1,200", "待补充"])
        elif kind == 3:  # negative count
            cols["employees"][row] = str(-int(rng.integers(1, 50)))
        elif kind == 4 and cols["employees"][row] is not None:  # more R&D staff than staff
            cols["rd_staff"][row] = str(int(cols["employees"][row]) + int(rng.integers(1, 20)))
        elif kind == 5 and row > 0:  # the credit code of an earlier row
            cols["credit_code"][row] = cols["credit_code"][int(rng.integers(0, row))]
        elif kind == 6:  # a date written the Chinese way, or impossible
            cols["registration_date"][row] = rng.choice(["2019年5月8日", "2021/13/01", "去年"])


def write_table(cols: dict[str, Any], path: Path, headers: str = "en", encoding: str = "utf-8") -> None:
    names = [label_zh(c) if headers == "zh" else c for c in COLUMNS]
    table = pa.table(
        [cols[c] if isinstance(cols[c], pa.Array) else pa.array(cols[c], type=pa.string()) for c in COLUMNS],
        names=names,
    )
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
    columns = [
        [_number_or_text(v, field_kind(name) in ("number", "integer")) for v in table.column(i).to_pylist()]
        for i, name in enumerate(COLUMNS)
    ]
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
@click.option(
    "--messy",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Fraction of damaged rows (also switches headers to Chinese) / 脏数据比例",
)
@click.option(
    "--headers", type=click.Choice(["en", "zh"]), default=None, help="Header language (default en; zh if --messy)"
)
@click.option(
    "--encoding", type=click.Choice(["utf-8", "gbk"]), default="utf-8", show_default=True, help="CSV encoding"
)
def generate_command(n: int, output: Path, seed: int, messy: float, headers: str | None, encoding: str) -> None:
    """Write N synthetic applicants / 生成模拟申报企业数据"""
    cols = generate_arrow(n, seed, messy)
    write_table(cols, output, headers or ("zh" if messy > 0 else "en"), encoding)
    click.echo(f"{n} 家模拟企业 / synthetic applicants -> {output}")


if __name__ == "__main__":
    generate_command()
