"""The enterprise profile: the facts support policies ask about.

Every field has an English name and a Chinese label; either is accepted as an
input key (and as a CSV header). Every fact may be missing: missing means
*unknown*, never zero. Money is in 万元 (10,000 CNY); ratios are fractions.
"""

from __future__ import annotations

import re
from datetime import date
from enum import Enum
from functools import cache
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from engine.model.creditcode import CreditCodeError, validate_credit_code
from engine.model.vocabulary import DISTRICTS, INDUSTRIES, code_from_words


def bilingual_error(en: str, zh: str, field: str | None = None) -> PydanticCustomError:
    ctx = {"en": en, "zh": zh} | ({"field": field} if field else {})
    return PydanticCustomError("ipcheck", "{en}", ctx)


class Level(str, Enum):
    """Administrative level of a title, award or institution (low to high)."""

    district = "district"  # 区县级
    municipal = "municipal"  # 地市级
    provincial = "provincial"  # 省级（重庆市级）
    national = "national"  # 国家级


LEVEL_RANK = {Level.district: 1, Level.municipal: 2, Level.provincial: 3, Level.national: 4}
LEVEL_ZH = {
    "区县级": Level.district,
    "地市级": Level.municipal,
    "省级": Level.provincial,
    "市级": Level.provincial,
    "重庆市级": Level.provincial,
    "国家级": Level.national,
}

# Titles a profile may hold; codes are what rule files name in has_title().
TITLES: dict[str, str] = {
    "high_tech_enterprise": "高新技术企业",
    "innovative_sme": "创新型中小企业",
    "specialized_sme": "专精特新中小企业",
    "little_giant": "专精特新“小巨人”企业",
    "ip_advantage_enterprise": "知识产权优势企业",
    "ip_demonstration_enterprise": "知识产权示范企业",
    "gbt29490_certified": "GB/T 29490 知识产权管理体系认证",
    "iso9001_certified": "ISO 9001 质量管理体系认证",
    "tech_innovation_demo": "技术创新示范企业",
    "time_honored_brand": "中华老字号",
}


def vocabulary_code(value: Any, table: dict[str, str], what_en: str, what_zh: str) -> str:
    """The code of a vocabulary entry given as its code or its Chinese name, or a bilingual error."""
    text = str(value).strip()
    code = next((c for c, zh in table.items() if zh == text), text)
    if code not in table and text:  # a unique part of a Chinese name ("补短板") names its entry
        partial = [c for c, zh in table.items() if text in zh]
        code = partial[0] if len(partial) == 1 else code
    if code not in table:
        raise bilingual_error(
            f"unknown {what_en} {value!r}; known: {', '.join(table)}",
            f"未知{what_zh} {value!r}；可选：{'、'.join(table.values())}",
        )
    return code


class Title(BaseModel):
    """A title held by the firm, with its level and validity period."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    title: str = Field(description="Title code or Chinese name, e.g. high_tech_enterprise / 高新技术企业")
    level: Level | None = None
    valid_from: date | None = None
    valid_to: date | None = None

    @field_validator("title", mode="before")
    @classmethod
    def _known_title(cls, v: Any) -> str:
        return vocabulary_code(v, TITLES, "title", "称号")

    @field_validator("level", mode="before")
    @classmethod
    def _level_zh(cls, v: Any) -> Any:
        return LEVEL_ZH.get(v, v) if isinstance(v, str) else v

    def active_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (self.valid_to is None or day <= self.valid_to)


def fact(zh: str, unit: str | None = None, help: str | None = None, **constraints: Any) -> Any:
    """A profile fact: optional, with its Chinese label accepted as an input key."""
    extra = {"zh": zh, "unit": unit}
    return Field(
        None, description=help or zh, json_schema_extra=extra, validation_alias=AliasChoices(zh), **constraints
    )


Money = float  # 万元
NonNegative = dict(ge=0)

# GB/T 4754-2017: section letter of each two-digit division (so '7520' normalises to 'M7520').
_SECTIONS = [
    ("A", 1, 5),
    ("B", 6, 12),
    ("C", 13, 43),
    ("D", 44, 46),
    ("E", 47, 50),
    ("F", 51, 52),
    ("G", 53, 60),
    ("H", 61, 62),
    ("I", 63, 65),
    ("J", 66, 69),
    ("K", 70, 70),
    ("L", 71, 72),
    ("M", 73, 75),
    ("N", 76, 79),
    ("O", 80, 82),
    ("P", 83, 83),
    ("Q", 84, 85),
    ("R", 86, 90),
    ("S", 91, 96),
    ("T", 97, 97),
]
_INDUSTRY = re.compile(r"^([A-T])?(\d{2}(?:\d{1,2})?)?$")


def normalise_industry_code(raw: str) -> str:
    code = raw.strip().upper()
    m = _INDUSTRY.match(code)
    if not code or m is None:
        raise bilingual_error(
            f"{raw!r} is not a GB/T 4754 code such as C39, I65 or M7520",
            f"{raw!r} 不是 GB/T 4754 行业代码（如 C39、I65、M7520）",
        )
    letter, digits = m.groups()
    if digits:
        division = int(digits[:2])
        expected = next((s for s, lo, hi in _SECTIONS if lo <= division <= hi), None)
        if expected is None or (letter and letter != expected):
            raise bilingual_error(
                f"division {digits[:2]} does not belong to section {letter or '?'}",
                f"行业大类 {digits[:2]} 不属于门类 {letter or '?'}",
            )
        letter = expected
    return f"{letter}{digits or ''}"


# 63号 annex 2, 专业化 item 4: the main product's field (codes used by rule files).
PRODUCT_FIELDS: dict[str, str] = {
    "gap_filling": "补短板锻长板填空白",
    "industrial_foundation": "工业六基",
    "chain_leader_supplier": "产业链龙头企业配套",
    "other": "其他",
}


class EnterpriseProfile(BaseModel):
    """An enterprise as support policies see it. Money in 万元; any fact may be missing (unknown)."""

    model_config = ConfigDict(
        extra="forbid", validate_by_name=True, validate_by_alias=True, allow_inf_nan=False, str_strip_whitespace=True
    )

    # identity and registration
    credit_code: str | None = fact("统一社会信用代码", help="GB 32100-2015, 18 characters")
    name: str | None = fact("企业名称")
    registration_date: date | None = fact("成立日期", help="Date of registration (成立日期)")
    division_code: str | None = fact(
        "注册地行政区划代码", help="6-digit code of the registered address; Jiangbei = 500105"
    )
    industry_code: str | None = fact(
        "国民经济行业代码", help="GB/T 4754-2017 code, e.g. C39, I65, M7520 (7520 = 知识产权服务)"
    )
    legal_person: bool | None = fact("具有独立法人资格")
    ip_service_business: bool | None = fact(
        "主营知识产权服务",
        help="Declares IP services (agency, legal, information, consulting, operation) as its main business",
    )

    # people
    employees: int | None = fact("从业人员数", "人", **NonNegative)
    rd_staff: int | None = fact("研发人员数", "人", **NonNegative)
    st_staff: int | None = fact("科技人员数", "人", **NonNegative)
    ip_staff: int | None = fact("专职知识产权人员数", "人", **NonNegative)

    # finance, latest full year first (万元)
    revenue: Money | None = fact("营业收入", "万元", "Operating revenue, latest full year", **NonNegative)
    revenue_prior: Money | None = fact("上年营业收入", "万元", "Operating revenue, the year before", **NonNegative)
    revenue_prior2: Money | None = fact("前年营业收入", "万元", "Operating revenue, two years before", **NonNegative)
    main_revenue: Money | None = fact("主营业务收入", "万元", **NonNegative)
    main_revenue_prior: Money | None = fact("上年主营业务收入", "万元", **NonNegative)
    main_revenue_prior2: Money | None = fact("前年主营业务收入", "万元", **NonNegative)
    total_assets: Money | None = fact("资产总额", "万元", **NonNegative)
    total_liabilities: Money | None = fact("负债总额", "万元", **NonNegative)
    net_assets_prior: Money | None = fact("上年净资产", "万元")
    net_assets_prior2: Money | None = fact("前年净资产", "万元")
    net_profit: Money | None = fact("净利润", "万元")
    rd_expense: Money | None = fact("研发费用", "万元", "R&D expense, latest full year", **NonNegative)
    rd_expense_prior: Money | None = fact("上年研发费用", "万元", **NonNegative)
    rd_expense_prior2: Money | None = fact("前年研发费用", "万元", **NonNegative)
    rd_expense_domestic: Money | None = fact(
        "境内研发费用", "万元", "Spent within China, latest full year", **NonNegative
    )
    rd_expense_domestic_prior: Money | None = fact("上年境内研发费用", "万元", **NonNegative)
    rd_expense_domestic_prior2: Money | None = fact("前年境内研发费用", "万元", **NonNegative)
    high_tech_revenue: Money | None = fact(
        "高新技术产品收入", "万元", "High-tech products and services, latest year", **NonNegative
    )
    equity_financing_2y: Money | None = fact("近两年新增股权融资", "万元", "From qualified investors", **NonNegative)
    equity_financing_3y: Money | None = fact("近三年新增股权融资", "万元", "From qualified investors", **NonNegative)
    niche_years: float | None = fact("从事细分市场年限", "年", **NonNegative)
    strategic_emerging: bool | None = fact("主导产品属于战略性新兴产业")

    # IP holdings (counts)
    invention_patents: int | None = fact("有效发明专利数", "件", **NonNegative)
    high_value_invention_patents: int | None = fact("高价值发明专利数", "件", **NonNegative)
    class1_ip: int | None = fact(
        "Ⅰ类知识产权数", "件", "Invention patents, plant varieties, new drugs, IC layouts", **NonNegative
    )
    class1_ip_self_developed: int | None = fact("自主研发Ⅰ类知识产权数", "件", **NonNegative)
    class1_high_value_ip: int | None = fact("Ⅰ类高价值知识产权数", "件", **NonNegative)
    class2_ip: int | None = fact("Ⅱ类知识产权数", "件", "Utility models, designs, software copyrights", **NonNegative)
    utility_models: int | None = fact("实用新型专利数", "件", **NonNegative)
    designs: int | None = fact("外观设计专利数", "件", **NonNegative)
    software_copyrights: int | None = fact("软件著作权数", "件", **NonNegative)
    trademarks: int | None = fact("有效注册商标数", "件", **NonNegative)
    madrid_registrations: int | None = fact("马德里国际注册商标数", "件", **NonNegative)
    pct_applications: int | None = fact("PCT专利申请数", "件", **NonNegative)
    geographical_indications: int | None = fact("地理标志数", "件", **NonNegative)
    ip_conversions_3y: int | None = fact("近三年科技成果转化数", "项", **NonNegative)

    # titles, institutions, capability
    titles: list[Title] | None = fact("持有称号", help="Titles held, with level and validity")
    rd_institution_level: Level | None = fact(
        "研发机构级别", help="Highest recognised R&D institution; omit if unknown"
    )
    has_rd_institution: bool | None = fact("建有研发机构")
    digitalisation_level: int | None = fact("数字化水平等级", "级", ge=1, le=4)

    # compliance (last three years unless stated)
    abnormal_operation_list: bool | None = fact("列入经营异常名录")
    serious_dishonesty_list: bool | None = fact("列入严重失信主体名单")
    major_accident_3y: bool | None = fact("近三年发生重大安全质量环境事故")
    tax_violation_3y: bool | None = fact("近三年存在偷税漏税")
    last_ip_penalty_date: date | None = fact("最近一次知识产权侵权处罚日期")
    ip_penalty_free: bool | None = fact("从未受知识产权侵权处罚")

    # IP finance and operation
    pledge_loan_amount: Money | None = fact("知识产权质押融资金额", "万元", **NonNegative)
    pledge_interest_paid: Money | None = fact("质押贷款已付利息", "万元", **NonNegative)
    ip_insurance_premium: Money | None = fact("知识产权保险保费", "万元", **NonNegative)
    licensing_deals: int | None = fact("知识产权许可转让次数", "次", **NonNegative)

    # district measures (江北府办发〔2023〕6号)
    ip_operation_body: bool | None = fact(
        "属于知识产权运营机构", help="An IP operation body (知识产权运营机构), 二（一）2"
    )
    leading_enterprise: bool | None = fact(
        "属于龙头骨干企业", help="Recognised as a leading / backbone enterprise of its industry (龙头骨干企业)"
    )
    builds_industry_ip_database: bool | None = fact(
        "建设产业知识产权数据库", help="Builds an industry IP database, 二（一）2"
    )
    builds_ip_trusteeship_platform: bool | None = fact(
        "建设知识产权专业托管服务平台", help="Builds an IP trusteeship service platform, 二（一）2"
    )
    gbt29490_reward_received: bool | None = fact(
        "已获江北区贯标奖励", help="Has already received the district's one-off GB/T 29490 reward"
    )
    patent_navigation_project: bool | None = fact(
        "开展专利导航项目", help="Runs a patent navigation (专利导航) project, 二（三）7"
    )
    collective_certification_marks: int | None = fact(
        "集体商标证明商标数", "件", "Registered collective and certification marks held", **NonNegative
    )
    gi_mark_user: bool | None = fact(
        "使用地理标志专用标志", help="Authorised to use the geographical-indication special mark"
    )
    madrid_registrations_new: int | None = fact(
        "上年度新获马德里国际注册商标数", "件", "Madrid registrations obtained in the last calendar year", **NonNegative
    )
    pledge_collateral_patent_or_trademark: bool | None = fact(
        "质押物为发明实用新型专利或商标",
        help="The pledge loan is secured on an invention or utility-model patent or a trademark",
    )
    work_copyright_registrations: int | None = fact(
        "作品著作权登记数", "件", "Registered copyrights in works (not software)", **NonNegative
    )
    copyright_pledge_loan_amount: Money | None = fact("版权质押融资金额", "万元", **NonNegative)

    # IP strength (the ip_strength scorecard, rules/ip_strength/)
    patent_product_revenue: Money | None = fact(
        "专利产品收入", "万元", "Revenue from products based on the firm's patents, latest year", **NonNegative
    )
    overseas_patent_families: int | None = fact(
        "海外专利族数", "件", "Patent families with at least one member granted or filed abroad", **NonNegative
    )
    invention_patents_10y: int | None = fact("维持超过10年的发明专利数", "件", **NonNegative)
    ip_disputes_won: int | None = fact("近三年知识产权纠纷胜诉数", "件", **NonNegative)
    ip_penalties_3y: int | None = fact("近三年知识产权侵权处罚次数", "次", **NonNegative)
    ip_budget: Money | None = fact("知识产权工作经费", "万元", "IP work budget, latest year", **NonNegative)
    patent_attorneys: int | None = fact("执业专利代理师人数", "人", **NonNegative)
    ip_service_clients: int | None = fact("年度知识产权服务客户数", "家", **NonNegative)

    # designations (63号, 32号)
    # 创新型 / 专精特新中小企业 (工信部企业〔2022〕63号), 高新技术企业 (国科发火〔2016〕32号), 高价值发明专利 (CNIPA)
    prohibited_products: bool | None = fact(
        "主导产品属于禁止限制淘汰类",
        help="Main products are prohibited, restricted or obsolete under national industrial policy (63号 第五条)",
    )
    sci_tech_award_3y: bool | None = fact(
        "近三年获得科技奖励", help="Won a government science and technology award in the last three years"
    )
    sci_tech_award_level_3y: Level | None = fact(
        "近三年最高科技奖励级别", help="Level of the highest such award: national / provincial / municipal / district"
    )
    sci_tech_award_rank_3y: int | None = fact(
        "最高科技奖励获奖排名", "名", "The firm's rank among the award's winning organisations", ge=1
    )
    maker_china_top500_3y: bool | None = fact(
        "近三年进入创客中国全国500强",
        help="Entered the national top-500 list of the 创客中国 SME contest in the last three years",
    )
    main_product_field: str | None = fact(
        "主导产品所属领域",
        help="gap_filling (补短板/锻长板/填空白且取得实际成效), industrial_foundation (工业“六基”), chain_leader_supplier (产业链龙头企业配套), other",
    )
    quality_award_provincial: bool | None = fact(
        "获得省级以上质量奖", help="Holds a provincial-or-higher quality award"
    )
    quality_system_certified: bool | None = fact(
        "通过质量管理体系认证", help="Certified to ISO 9001 or a similar quality management system"
    )
    own_brand: bool | None = fact("拥有自主品牌")
    drafted_standards: bool | None = fact(
        "参与制修订标准", help="Took part in drafting national, industry or group standards"
    )
    total_income: Money | None = fact(
        "总收入",
        "万元",
        "收入总额 less 不征税收入, latest year (国科发火〔2016〕195号), for the high-tech revenue share",
        **NonNegative,
    )
    key_supported_field: bool | None = fact(
        "核心技术属于重点支持高新技术领域", help="Core technology is within 《国家重点支持的高新技术领域》"
    )
    major_violation_1y: bool | None = fact(
        "申请前一年内发生重大安全质量事故或严重环境违法",
        help="Major safety or quality accident or severe environmental violation in the year before application",
    )
    hte_tech_level_score: int | None = fact(
        "技术先进程度评分", "分", "Expert score, 0-8 (195号 知识产权 item 1)", ge=0, le=8
    )
    hte_core_support_score: int | None = fact(
        "知识产权核心支持作用评分", "分", "Expert score, 0-8 (195号 知识产权 item 2)", ge=0, le=8
    )
    hte_ip_acquisition_score: int | None = fact(
        "知识产权获得方式评分",
        "分",
        "Expert score, 0-6: self-developed 1-6, only acquired 1-3 (195号 知识产权 item 4)",
        ge=0,
        le=6,
    )
    hte_rd_management_score: int | None = fact(
        "研发组织管理水平评分", "分", "Expert score, 0-20 (195号 研究开发组织管理水平)", ge=0, le=20
    )
    hvp_strategic_emerging: int | None = fact(
        "战略性新兴产业发明专利数",
        "件",
        "Valid invention patents in a strategic emerging industry (CNIPA 高价值发明专利 category 1)",
        **NonNegative,
    )
    hvp_overseas_family: int | None = fact(
        "有海外同族的发明专利数",
        "件",
        "Valid invention patents with a granted family member abroad (category 2)",
        **NonNegative,
    )
    hvp_max_pledge_amount: Money | None = fact(
        "单件发明专利最高质押融资额",
        "万元",
        "Highest pledge financing secured on a single invention patent (category 4)",
        **NonNegative,
    )
    hvp_award: int | None = fact(
        "获中国专利奖或国家科技奖的发明专利数",
        "件",
        "Invention patents that won a China Patent Award or a national S&T award (category 5)",
        **NonNegative,
    )

    @field_validator("main_product_field", mode="before")
    @classmethod
    def _product_field(cls, v: Any) -> Any:
        return None if v is None else vocabulary_code(v, PRODUCT_FIELDS, "main product field", "主导产品领域")

    @field_validator("credit_code")
    @classmethod
    def _credit_code(cls, v: str | None) -> str | None:
        if v is None:
            return None
        try:
            return validate_credit_code(v)
        except CreditCodeError as e:
            raise bilingual_error(f"invalid credit code: {e.en}", f"统一社会信用代码无效：{e.zh}") from None

    @field_validator("division_code")
    @classmethod
    def _division(cls, v: str | None) -> str | None:
        v = None if v is None else code_from_words(v, DISTRICTS)
        if v is not None and not re.fullmatch(r"\d{6}", v):
            raise bilingual_error("must be a 6-digit division code such as 500105", "应为 6 位行政区划代码，如 500105")
        return v

    @field_validator("industry_code")
    @classmethod
    def _industry(cls, v: str | None) -> str | None:
        return None if v is None else normalise_industry_code(code_from_words(v, INDUSTRIES))

    @field_validator("rd_institution_level", "sci_tech_award_level_3y", mode="before")
    @classmethod
    def _level_zh(cls, v: Any) -> Any:
        return LEVEL_ZH.get(v, v) if isinstance(v, str) else v

    @model_validator(mode="before")
    @classmethod
    def _one_key_per_fact(cls, data: Any) -> Any:
        """A fact given by both its English name and its Chinese label: say so, not 'unknown field'."""
        if isinstance(data, dict):
            for key in data:
                name = KEY_BY_LABEL.get(key) if isinstance(key, str) else None
                if name is not None and name in data:
                    raise bilingual_error(
                        f"{name!r} and {key!r} name the same field; give it once",
                        f"「{name}」与「{key}」是同一信息项，请只填写一次",
                        field=name,
                    )
        return data

    @model_validator(mode="after")
    def _consistent(self) -> EnterpriseProfile:
        for small, big in CROSS_CHECKS:
            a, b = getattr(self, small), getattr(self, big)
            if a is not None and b is not None and a > b:
                raise bilingual_error(
                    f"{small} ({a}) cannot exceed {big} ({b})",
                    f"{label_zh(small)}（{a}）不能大于{label_zh(big)}（{b}）",
                    field=small,
                )
        today = date.today()
        for name in ("registration_date", "last_ip_penalty_date"):
            day = getattr(self, name)
            if day is not None and day > today:
                raise bilingual_error(f"{name} {day} is in the future", f"{label_zh(name)} {day} 晚于今天", field=name)
        return self


CROSS_CHECKS: list[tuple[str, str]] = [
    ("high_value_invention_patents", "invention_patents"),
    ("rd_staff", "employees"),
    ("st_staff", "employees"),
    ("main_revenue", "revenue"),
    ("main_revenue_prior", "revenue_prior"),
    ("main_revenue_prior2", "revenue_prior2"),
    ("rd_expense_domestic", "rd_expense"),
    ("rd_expense_domestic_prior", "rd_expense_prior"),
    ("rd_expense_domestic_prior2", "rd_expense_prior2"),
    ("high_tech_revenue", "revenue"),
    ("class1_ip_self_developed", "class1_ip"),
    ("class1_high_value_ip", "class1_ip"),
    ("patent_product_revenue", "revenue"),
    ("invention_patents_10y", "invention_patents"),
]

# Answers that settle other facts (never asked then): (fact, its value, implied fact, the value it
# takes). Every part of a whole is none when the whole is none (the cross-checks above), and a few
# facts exist only with another: counts of invention patents by kind, new Madrid registrations,
# interest and single-patent pledges on pledge loans, penalties of a firm never penalised.
IMPLIED: tuple[tuple[str, Any, str, Any], ...] = (
    *((whole, 0, part, 0) for part, whole in CROSS_CHECKS),
    ("invention_patents", 0, "hvp_strategic_emerging", 0),
    ("invention_patents", 0, "hvp_overseas_family", 0),
    ("invention_patents", 0, "hvp_award", 0),
    ("madrid_registrations", 0, "madrid_registrations_new", 0),
    ("pledge_loan_amount", 0, "pledge_interest_paid", 0),
    ("pledge_loan_amount", 0, "hvp_max_pledge_amount", 0),
    ("ip_penalty_free", True, "ip_penalties_3y", 0),
)

FIELDS = EnterpriseProfile.model_fields
KEY_BY_LABEL: dict[str, str] = {f.json_schema_extra["zh"]: name for name, f in FIELDS.items()}  # type: ignore[index]


def label_zh(name: str) -> str:
    return FIELDS[name].json_schema_extra["zh"]  # type: ignore[index]


def unit_of(name: str, lang: str = "zh") -> str | None:
    """The field's unit in Chinese (as declared) or English (UNITS_EN); None when it has none."""
    unit = FIELDS[name].json_schema_extra["unit"]  # type: ignore[index]
    return unit_words(unit, lang) if unit else None


# The units in English: counts of things need no word of their own.
UNITS_EN: dict[str, str] = {
    "万元": "10k CNY",
    "元": "CNY",
    "人": "people",
    "件": "",
    "项": "",
    "次": "times",
    "年": "years",
    "家": "clients",
    "级": "",
    "名": "",
    "分": "points",
}


def unit_words(unit: str | None, lang: str = "zh") -> str | None:
    """A unit in the page's language (the rule files' and profile's units are Chinese)."""
    if unit is None or lang == "zh":
        return unit
    return UNITS_EN.get(unit, unit)


FieldKind = Literal["number", "integer", "bool", "date", "text", "level", "titles"]


@cache  # what-if asks it of the same few fields for every candidate change
def field_kind(name: str) -> FieldKind:
    ann = str(FIELDS[name].annotation)
    for token, kind in (
        ("Title", "titles"),
        ("Level", "level"),
        ("bool", "bool"),
        ("date", "date"),
        ("int", "integer"),
        ("float", "number"),
        ("str", "text"),
    ):
        if token in ann:
            return kind  # type: ignore[return-value]
    raise AssertionError(name)


class ProfileIssue(BaseModel):
    """One thing wrong with an input profile, in both languages."""

    field: str
    field_zh: str | None
    value: Any = None
    message_en: str
    message_zh: str


PYDANTIC_ZH = {  # pydantic's error types in Chinese
    "missing": "缺少",
    "extra_forbidden": "未知字段（请检查拼写）",
    "int_parsing": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "finite_number": "不能为 NaN 或无穷大",
    "bool_parsing": "应为 是/否（true/false）",
    "date_parsing": "应为日期 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期 YYYY-MM-DD",
    "date_from_datetime_inexact": "应为日期 YYYY-MM-DD，不能带时间",
    "date_future": "不能晚于今天",
    "date_past": "不能早于今天",
    "datetime_parsing": "应为日期时间",
    "int_parsing_size": "整数过大",
    "string_too_long": "文本过长",
    "string_too_short": "文本过短",
    "string_pattern_mismatch": "格式不符合要求",
    "string_unicode": "文本不是有效的 Unicode",
    "too_long": "项数过多",
    "too_short": "项数过少",
    "literal_error": "取值不在允许范围内",
    "union_tag_invalid": "取值不在允许范围内",
    "value_error": "取值不符合要求",
    "json_invalid": "JSON 格式错误",
    "date_type": "应为日期 YYYY-MM-DD",
    "string_type": "应为文本",
    "int_type": "应为整数",
    "float_type": "应为数字",
    "bool_type": "应为 是/否",
    "list_type": "应为列表",
    "model_type": "应为对象",
    "enum": "取值不在允许范围内",
    "dict_type": "应为对象（键值对）",
}


def describe_errors(err: ValidationError) -> list[ProfileIssue]:
    """Turn pydantic's errors into bilingual issues naming the field."""
    issues = []
    for e in err.errors():
        loc = [str(p) for p in e["loc"]]
        ctx = e.get("ctx") or {}
        if not loc and "field" in ctx:
            loc = [ctx["field"]]
        name = KEY_BY_LABEL.get(loc[0], loc[0]) if loc else ""
        field = ".".join([name, *loc[1:]]) if loc else "(profile)"
        if "zh" in ctx:
            en, zh = ctx["en"], ctx["zh"]
        else:
            en = e["msg"]
            zh = zh_of(e["type"], ctx)
        value = e.get("input") if e["type"] != "missing" else None
        if isinstance(value, dict) and "field" in ctx:
            value = value.get(ctx["field"])
        issues.append(
            ProfileIssue(
                field=field,
                field_zh=label_zh(name) if name in FIELDS else None,
                value=value,
                message_en=en,
                message_zh=zh,
            )
        )
    return issues


def zh_of(kind: str, ctx: dict[str, Any]) -> str:
    """A pydantic error in Chinese: never pydantic's English in message_zh."""
    return PYDANTIC_ZH.get(kind) or _bound_zh(kind, ctx) or "取值不符合要求"


def _bound_zh(kind: str, ctx: dict[str, Any]) -> str | None:
    words = {
        "greater_than_equal": "不能小于",
        "greater_than": "必须大于",
        "less_than_equal": "不能大于",
        "less_than": "必须小于",
    }
    for key, word in words.items():
        if kind == key:
            bound = next(iter(ctx.values()), "")
            return f"{word} {bound}"
    return None


class ProfileInputError(ValueError):
    def __init__(self, issues: list[ProfileIssue]) -> None:
        self.issues = issues
        super().__init__("; ".join(f"{i.field}: {i.message_zh} / {i.message_en}" for i in issues))


def parse_profile(data: Any) -> EnterpriseProfile:
    """Validate raw input (English or Chinese keys) into a profile, or raise ProfileInputError."""
    if not isinstance(data, dict):
        raise ProfileInputError(
            [
                ProfileIssue(
                    field="(profile)",
                    field_zh=None,
                    value=type(data).__name__,
                    message_en="a profile must be a JSON object",
                    message_zh="企业信息必须是 JSON 对象",
                )
            ]
        )
    try:
        return EnterpriseProfile.model_validate(data)
    except ValidationError as err:
        raise ProfileInputError(describe_errors(err)) from None


# --- how each fact is asked: one source for every page, workbook and message ------------------
# name: (English label, Chinese help, English help). Help is None where the label says it all.
GUIDE: dict[str, tuple[str, str | None, str | None]] = {
    "credit_code": (
        "Unified social credit code",
        "营业执照上的 18 位代码",
        "The 18-character code on the business licence",
    ),
    "name": ("Company name", None, None),
    "registration_date": ("Date of registration", "营业执照上的成立日期", "As on the business licence"),
    "division_code": (
        "Registered district",
        "注册地所在区县，可输入名称或 6 位代码（江北区 = 500105）",
        "District of the registered address, by name or 6-digit code (Jiangbei = 500105)",
    ),
    "industry_code": (
        "Industry (GB/T 4754)",
        "国民经济行业分类，可输入行业名称或任一级代码（如 C34、7520）",
        "GB/T 4754-2017 industry, by name or a code at any level (e.g. C34, 7520)",
    ),
    "legal_person": (
        "Has legal personality",
        "是否为独立法人企业（分公司、个体户选“没有”）",
        "An independent legal entity (a branch or sole trader is not)",
    ),
    "ip_service_business": (
        "Main business is IP services",
        "主营业务为知识产权代理、法律、信息、咨询、运营等服务",
        "IP agency, legal, information, consulting or operation services as main business",
    ),
    "employees": ("Staff", "上年度平均从业人员（含劳务派遣）", "Average staff last year"),
    "rd_staff": ("R&D staff", "直接从事研发活动的人员", "Staff working directly on R&D"),
    "st_staff": (
        "S&T staff",
        "从事研发和相关技术创新活动的科技人员（高企口径）",
        "Science and technology staff (high-tech enterprise definition)",
    ),
    "ip_staff": ("Full-time IP staff", None, None),
    "revenue": ("Operating revenue", "最近一个完整会计年度", "Latest full year"),
    "revenue_prior": ("Operating revenue, prior year", "最近完整年度的上一年", "The year before the latest"),
    "revenue_prior2": ("Operating revenue, two years before", "最近完整年度的前两年", "Two years before the latest"),
    "main_revenue": ("Main business revenue", "最近一个完整会计年度", "Latest full year"),
    "main_revenue_prior": ("Main business revenue, prior year", None, None),
    "main_revenue_prior2": ("Main business revenue, two years before", None, None),
    "total_assets": ("Total assets", "最近一期资产负债表", "Latest balance sheet"),
    "total_liabilities": ("Total liabilities", "最近一期资产负债表", "Latest balance sheet"),
    "net_assets_prior": ("Net assets, prior year", None, None),
    "net_assets_prior2": ("Net assets, two years before", None, None),
    "net_profit": ("Net profit", "最近一个完整会计年度，亏损填负数", "Latest full year; a loss is negative"),
    "rd_expense": ("R&D expense", "最近一个完整会计年度", "Latest full year"),
    "rd_expense_prior": ("R&D expense, prior year", None, None),
    "rd_expense_prior2": ("R&D expense, two years before", None, None),
    "rd_expense_domestic": (
        "R&D expense in China",
        "在中国境内发生的研发费用，最近一个完整年度",
        "Spent within China, latest full year",
    ),
    "rd_expense_domestic_prior": ("R&D expense in China, prior year", None, None),
    "rd_expense_domestic_prior2": ("R&D expense in China, two years before", None, None),
    "high_tech_revenue": (
        "High-tech product revenue",
        "高新技术产品（服务）收入，最近一年",
        "High-tech products and services, latest year",
    ),
    "equity_financing_2y": (
        "Equity financing, last two years",
        "近两年从合格机构投资者获得的股权融资",
        "From qualified investors",
    ),
    "equity_financing_3y": (
        "Equity financing, last three years",
        "近三年从合格机构投资者获得的股权融资",
        "From qualified investors",
    ),
    "niche_years": ("Years in its market niche", None, None),
    "strategic_emerging": (
        "Main product in a strategic emerging industry",
        "如新一代信息技术、高端装备、新材料、生物、新能源汽车等",
        "e.g. new-generation IT, high-end equipment, new materials, biotech, new-energy vehicles",
    ),
    "invention_patents": ("Valid invention patents", "已授权且有效的发明专利", "Granted and in force"),
    "high_value_invention_patents": (
        "High-value invention patents",
        "符合国家知识产权局高价值发明专利口径的件数",
        "Invention patents in the CNIPA high-value categories",
    ),
    "class1_ip": (
        "Class I IP",
        "发明专利、植物新品种、国家新药、集成电路布图设计等",
        "Invention patents, plant varieties, new drugs, IC layouts",
    ),
    "class1_ip_self_developed": ("Class I IP, self-developed", "其中自主研发取得的", "Of which developed in-house"),
    "class1_high_value_ip": ("Class I high-value IP", None, None),
    "class2_ip": ("Class II IP", "实用新型、外观设计、软件著作权等", "Utility models, designs, software copyrights"),
    "utility_models": ("Utility-model patents", None, None),
    "designs": ("Design patents", None, None),
    "software_copyrights": ("Software copyrights", None, None),
    "trademarks": ("Registered trademarks", "已注册且在有效期内", "Registered and in force"),
    "madrid_registrations": ("Madrid international registrations", None, None),
    "pct_applications": ("PCT applications", None, None),
    "geographical_indications": ("Geographical indications", None, None),
    "ip_conversions_3y": (
        "Technology transfers, last three years",
        "近三年把科技成果转化为产品、服务或工艺的项数",
        "Results turned into products, services or processes in the last three years",
    ),
    "titles": (
        "Titles held",
        "在有效期内的称号；有级别的称号请选择级别",
        "Titles in force, with level where it has one",
    ),
    "rd_institution_level": (
        "Level of R&D institution",
        "经认定的最高级别研发机构（技术中心、工程中心等）",
        "Highest recognised R&D institution",
    ),
    "has_rd_institution": (
        "Has an R&D institution",
        "含与高校、科研院所共建的",
        "Including one run jointly with a university or institute",
    ),
    "digitalisation_level": (
        "Digitalisation level",
        "中小企业数字化水平评测等级（1–4 级）",
        "SME digitalisation assessment level (1-4)",
    ),
    "abnormal_operation_list": (
        "On the abnormal-operation list",
        "市场监管部门的经营异常名录，目前仍在名录中",
        "The market regulator's list; currently on it",
    ),
    "serious_dishonesty_list": (
        "On the serious-dishonesty list",
        "可在“信用中国”网站查询",
        "Searchable on the Credit China website",
    ),
    "major_accident_3y": (
        "Major accident, last three years",
        "安全生产、产品质量或环境污染方面的重大事故",
        "In work safety, product quality or pollution",
    ),
    "tax_violation_3y": (
        "Tax evasion, last three years",
        "被税务机关认定偷税、逃税等",
        "As found by the tax authority",
    ),
    "last_ip_penalty_date": ("Date of the last IP-infringement penalty", None, None),
    "ip_penalty_free": (
        "Never penalised for IP infringement",
        "指行政机关因侵犯他人专利、商标、著作权等作出的处罚",
        "Administrative penalties for infringing others' patents, trademarks or copyrights",
    ),
    "pledge_loan_amount": (
        "IP-pledge loans",
        "以专利、商标等知识产权质押取得的贷款金额",
        "Loans secured on patents, trademarks or other IP",
    ),
    "pledge_interest_paid": ("Interest paid on pledge loans", None, None),
    "ip_insurance_premium": (
        "IP insurance premium paid",
        "为专利、商标等投保知识产权保险所付保费",
        "Premium paid for IP insurance",
    ),
    "licensing_deals": (
        "IP licences and transfers",
        "许可他人使用或转让本企业知识产权的次数",
        "Times the firm licensed or sold its IP to others",
    ),
    "ip_operation_body": (
        "IP operation body",
        "经认定或备案的知识产权运营服务机构",
        "A recognised or registered IP operation service body",
    ),
    "leading_enterprise": (
        "Leading enterprise of its industry",
        "被认定为行业龙头骨干企业",
        "Recognised as a leading or backbone enterprise",
    ),
    "builds_industry_ip_database": ("Builds an industry IP database", None, None),
    "builds_ip_trusteeship_platform": ("Builds an IP trusteeship platform", None, None),
    "gbt29490_reward_received": (
        "Already received the district's GB/T 29490 reward",
        "江北区对贯标认证的奖励只发一次",
        "The district pays it once only",
    ),
    "patent_navigation_project": (
        "Runs a patent navigation project",
        "围绕产业或企业的专利分析，用于指导研发和专利布局",
        "Patent analysis that guides R&D and filing strategy",
    ),
    "collective_certification_marks": ("Collective and certification marks", None, None),
    "gi_mark_user": (
        "Uses the geographical-indication mark",
        "经批准在产品上使用地理标志专用标志",
        "Approved to put the special GI mark on its products",
    ),
    "madrid_registrations_new": (
        "Madrid registrations obtained last year",
        "上一自然年度新获得的",
        "Obtained in the last calendar year",
    ),
    "pledge_collateral_patent_or_trademark": ("Pledge secured on a patent or trademark", None, None),
    "work_copyright_registrations": (
        "Registered copyrights in works",
        "文字、美术、摄影、视听等作品的著作权登记，不含软件",
        "Works such as texts, art, photos or films; not software",
    ),
    "copyright_pledge_loan_amount": (
        "Copyright-pledge loans",
        "以著作权质押取得的贷款金额",
        "Loans secured on copyrights",
    ),
    "patent_product_revenue": (
        "Revenue from patented products",
        "依托本企业专利的产品收入，最近一年",
        "Revenue from products based on the firm's patents, latest year",
    ),
    "overseas_patent_families": (
        "Overseas patent families",
        "至少有一件在境外申请或授权的专利族",
        "Families with a member filed or granted abroad",
    ),
    "invention_patents_10y": ("Invention patents maintained over 10 years", None, None),
    "ip_disputes_won": ("IP disputes won, last three years", None, None),
    "ip_penalties_3y": ("IP-infringement penalties, last three years", None, None),
    "ip_budget": (
        "IP budget",
        "最近一年用于专利申请、维护和管理等的费用",
        "Last year's spending on filing, maintaining and managing IP",
    ),
    "patent_attorneys": ("Licensed patent attorneys", None, None),
    "ip_service_clients": ("IP service clients per year", None, None),
    "prohibited_products": (
        "Main products prohibited or restricted",
        "按《产业结构调整指导目录》判断",
        "Under the national Catalogue for Guiding Industrial Restructuring",
    ),
    "sci_tech_award_3y": (
        "S&T award, last three years",
        "各级政府颁发的科学技术奖",
        "Awarded by a government at any level",
    ),
    "sci_tech_award_level_3y": ("Level of that award", None, None),
    "sci_tech_award_rank_3y": (
        "Rank among the award's winners",
        "本企业在获奖单位中的排名",
        "The firm's rank among the winning organisations",
    ),
    "maker_china_top500_3y": (
        "创客中国 top 500, last three years",
        "近三年进入“创客中国”中小企业创新创业大赛全国 500 强",
        "Top 500 of the national 创客中国 SME contest in the last three years",
    ),
    "main_product_field": (
        "Field of the main product",
        "主导产品在产业链中的定位",
        "Where the main product sits in the industrial chain",
    ),
    "quality_award_provincial": (
        "Provincial or higher quality award",
        "如重庆市市长质量管理奖",
        "e.g. the Chongqing Mayor's Quality Award",
    ),
    "quality_system_certified": (
        "Quality management system certified",
        "通过 ISO 9001 等质量管理体系认证",
        "Certified to ISO 9001 or similar",
    ),
    "own_brand": ("Has its own brand", None, None),
    "drafted_standards": (
        "Drafted standards",
        "参与制修订国家、行业或团体标准",
        "Took part in drafting national, industry or group standards",
    ),
    "total_income": (
        "Total income",
        "收入总额减不征税收入，最近一年（用于高新技术产品收入占比）",
        "Total income less non-taxable income, latest year",
    ),
    "key_supported_field": (
        "Core technology in a key supported field",
        "电子信息、生物与新医药、航空航天、新材料、高技术服务、新能源与节能、资源与环境、先进制造与自动化",
        "Electronics, biotech and medicine, aerospace, new materials, high-tech services, new energy, environment, advanced manufacturing",
    ),
    "major_violation_1y": ("Major accident or violation, last year", None, None),
    "hte_tech_level_score": (
        "Expert score: technology level",
        "专家评审给出，0–8 分",
        "Given by the expert panel, 0-8",
    ),
    "hte_core_support_score": (
        "Expert score: IP's core role",
        "专家评审给出，0–8 分",
        "Given by the expert panel, 0-8",
    ),
    "hte_ip_acquisition_score": (
        "Expert score: how IP was acquired",
        "专家评审给出，0–6 分",
        "Given by the expert panel, 0-6",
    ),
    "hte_rd_management_score": (
        "Expert score: R&D management",
        "专家评审给出，0–20 分",
        "Given by the expert panel, 0-20",
    ),
    "hvp_strategic_emerging": ("Invention patents in strategic emerging industries", None, None),
    "hvp_overseas_family": ("Invention patents with a family member granted abroad", None, None),
    "hvp_max_pledge_amount": ("Largest pledge on a single invention patent", None, None),
    "hvp_award": ("Invention patents that won a China Patent Award or national S&T award", None, None),
}
# Scored by the expert panel, never known to the firm: never asked, shown as what they would need.
EXPERT_JUDGED = frozenset(
    {"hte_tech_level_score", "hte_core_support_score", "hte_ip_acquisition_score", "hte_rd_management_score"}
)
# Yes/no facts read better as 是/否 than 有/没有 (being on a list, being something).
IS_FACTS = frozenset(
    {
        "legal_person",
        "ip_service_business",
        "strategic_emerging",
        "abnormal_operation_list",
        "serious_dishonesty_list",
        "ip_penalty_free",
        "ip_operation_body",
        "leading_enterprise",
        "prohibited_products",
        "key_supported_field",
        "gbt29490_reward_received",
        "pledge_collateral_patent_or_trademark",
        "gi_mark_user",
        "quality_system_certified",
    }
)
LEVEL_WORDS: dict[str, tuple[str, str]] = {
    "district": ("区县级", "district"),
    "municipal": ("地市级", "municipal"),
    "provincial": ("省级", "provincial"),
    "national": ("国家级", "national"),
}
PRODUCT_FIELDS_EN = {
    "gap_filling": "Fills a gap or strengthens a weak link",
    "industrial_foundation": "Industrial foundations (the six basics)",
    "chain_leader_supplier": "Supplier of an industry-chain leader",
    "other": "Other",
}
TITLES_EN = {
    "high_tech_enterprise": "High-tech enterprise",
    "innovative_sme": "Innovative SME",
    "specialized_sme": "Specialised SME",
    "little_giant": "Little giant",
    "ip_advantage_enterprise": "IP advantage enterprise",
    "ip_demonstration_enterprise": "IP demonstration enterprise",
    "gbt29490_certified": "GB/T 29490 certified",
    "iso9001_certified": "ISO 9001 certified",
    "tech_innovation_demo": "Technology innovation demonstration",
    "time_honored_brand": "China time-honoured brand",
}
# Titles conferred at several levels; the others have one issuer and no level to choose.
TITLE_LEVELS: dict[str, tuple[str, ...]] = {
    "ip_advantage_enterprise": ("district", "municipal", "provincial", "national"),
    "ip_demonstration_enterprise": ("provincial", "national"),
    "tech_innovation_demo": ("municipal", "provincial", "national"),
}


class Option(BaseModel):
    """One answer a person can pick: the value the profile takes and its words."""

    model_config = ConfigDict(frozen=True)
    value: Any
    zh: str
    en: str


def label(name: str, lang: str = "zh") -> str:
    """The field's name for people, in Chinese or English."""
    return label_zh(name) if lang == "zh" else GUIDE[name][0]


def help_text(name: str, lang: str = "zh") -> str | None:
    _, zh, en = GUIDE[name]
    return zh if lang == "zh" else en


def options(name: str) -> list[Option]:
    """The answers offered for a yes/no, level or enumerated fact ([] for numbers, dates, text)."""
    kind = field_kind(name)
    if kind == "bool":
        yes, no = ("是", "否") if name in IS_FACTS else ("有", "没有")
        return [Option(value=True, zh=yes, en="yes"), Option(value=False, zh=no, en="no")]
    if kind == "level":
        return [Option(value=code, zh=zh, en=en) for code, (zh, en) in LEVEL_WORDS.items()]
    if name == "main_product_field":
        return [Option(value=code, zh=zh, en=PRODUCT_FIELDS_EN[code]) for code, zh in PRODUCT_FIELDS.items()]
    return []


def zero_means_none(name: str) -> bool:
    """Counts and amounts that cannot be negative: "0 / 没有" is an answer of its own."""
    return field_kind(name) in ("integer", "number") and bound_of(name, "ge") == 0


def bound_of(name: str, which: str) -> float | None:
    for item in FIELDS[name].metadata:
        value = getattr(item, which, None)
        if value is not None:
            return float(value)
    return None


def asked_of_firm(name: str) -> bool:
    return name not in EXPERT_JUDGED
