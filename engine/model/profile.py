"""The enterprise profile: the facts support policies ask about.

Every field has an English name and a Chinese label; either is accepted as an
input key (and as a CSV header). Every fact may be missing: missing means
*unknown*, never zero. Money is in 万元 (10,000 CNY); ratios are fractions.
"""
from __future__ import annotations

import re
from datetime import date
from enum import Enum
from typing import Any, Literal

from pydantic import (AliasChoices, BaseModel, ConfigDict, Field, ValidationError,
                      field_validator, model_validator)
from pydantic_core import PydanticCustomError

from engine.model.creditcode import CreditCodeError, validate_credit_code


def bilingual_error(en: str, zh: str, field: str | None = None) -> PydanticCustomError:
    ctx = {"en": en, "zh": zh} | ({"field": field} if field else {})
    return PydanticCustomError("ipcheck", "{en}", ctx)


class Level(str, Enum):
    """Administrative level of a title, award or institution (low to high)."""
    district = "district"        # 区县级
    municipal = "municipal"      # 地市级
    provincial = "provincial"    # 省级（重庆市级）
    national = "national"        # 国家级


LEVEL_RANK = {Level.district: 1, Level.municipal: 2, Level.provincial: 3, Level.national: 4}
LEVEL_ZH = {"区县级": Level.district, "地市级": Level.municipal, "省级": Level.provincial,
            "市级": Level.provincial, "重庆市级": Level.provincial, "国家级": Level.national}

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
    if code not in table:
        raise bilingual_error(f"unknown {what_en} {value!r}; known: {', '.join(table)}",
                              f"未知{what_zh} {value!r}；可选：{'、'.join(table.values())}")
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
    return Field(None, description=help or zh, json_schema_extra=extra, validation_alias=AliasChoices(zh),
                 **constraints)


Money = float  # 万元
NonNegative = dict(ge=0)

# GB/T 4754-2017: section letter of each two-digit division (so '7520' normalises to 'M7520').
_SECTIONS = [("A", 1, 5), ("B", 6, 12), ("C", 13, 43), ("D", 44, 46), ("E", 47, 50), ("F", 51, 52),
             ("G", 53, 60), ("H", 61, 62), ("I", 63, 65), ("J", 66, 69), ("K", 70, 70), ("L", 71, 72),
             ("M", 73, 75), ("N", 76, 79), ("O", 80, 82), ("P", 83, 83), ("Q", 84, 85), ("R", 86, 90),
             ("S", 91, 96), ("T", 97, 97)]
_INDUSTRY = re.compile(r"^([A-T])?(\d{2}(?:\d{1,2})?)?$")


def normalise_industry_code(raw: str) -> str:
    code = raw.strip().upper()
    m = _INDUSTRY.match(code)
    if not code or m is None:
        raise bilingual_error(f"{raw!r} is not a GB/T 4754 code such as C39, I65 or M7520",
                              f"{raw!r} 不是 GB/T 4754 行业代码（如 C39、I65、M7520）")
    letter, digits = m.groups()
    if digits:
        division = int(digits[:2])
        expected = next((s for s, lo, hi in _SECTIONS if lo <= division <= hi), None)
        if expected is None or (letter and letter != expected):
            raise bilingual_error(f"division {digits[:2]} does not belong to section {letter or '?'}",
                                  f"行业大类 {digits[:2]} 不属于门类 {letter or '?'}")
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
    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True,
                              allow_inf_nan=False, str_strip_whitespace=True)

    # identity and registration
    credit_code: str | None = fact("统一社会信用代码", help="GB 32100-2015, 18 characters")
    name: str | None = fact("企业名称")
    registration_date: date | None = fact("成立日期", help="Date of registration (成立日期)")
    division_code: str | None = fact("注册地行政区划代码", help="6-digit code of the registered address; Jiangbei = 500105")
    industry_code: str | None = fact("国民经济行业代码", help="GB/T 4754-2017 code, e.g. C39, I65, M7520 (7520 = 知识产权服务)")
    legal_person: bool | None = fact("具有独立法人资格")
    ip_service_business: bool | None = fact("主营知识产权服务", help="Declares IP services (agency, legal, information, consulting, operation) as its main business")

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
    rd_expense_domestic: Money | None = fact("境内研发费用", "万元", "Spent within China, latest full year", **NonNegative)
    rd_expense_domestic_prior: Money | None = fact("上年境内研发费用", "万元", **NonNegative)
    rd_expense_domestic_prior2: Money | None = fact("前年境内研发费用", "万元", **NonNegative)
    high_tech_revenue: Money | None = fact("高新技术产品收入", "万元", "High-tech products and services, latest year", **NonNegative)
    equity_financing_2y: Money | None = fact("近两年新增股权融资", "万元", "From qualified investors", **NonNegative)
    equity_financing_3y: Money | None = fact("近三年新增股权融资", "万元", "From qualified investors", **NonNegative)
    niche_years: float | None = fact("从事细分市场年限", "年", **NonNegative)
    strategic_emerging: bool | None = fact("主导产品属于战略性新兴产业")

    # IP holdings (counts)
    invention_patents: int | None = fact("有效发明专利数", "件", **NonNegative)
    high_value_invention_patents: int | None = fact("高价值发明专利数", "件", **NonNegative)
    class1_ip: int | None = fact("Ⅰ类知识产权数", "件", "Invention patents, plant varieties, new drugs, IC layouts", **NonNegative)
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
    rd_institution_level: Level | None = fact("研发机构级别", help="Highest recognised R&D institution; omit if unknown")
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
    ip_operation_body: bool | None = fact("属于知识产权运营机构", help="An IP operation body (知识产权运营机构), 二（一）2")
    leading_enterprise: bool | None = fact("属于龙头骨干企业", help="Recognised as a leading / backbone enterprise of its industry (龙头骨干企业)")
    builds_industry_ip_database: bool | None = fact("建设产业知识产权数据库", help="Builds an industry IP database, 二（一）2")
    builds_ip_trusteeship_platform: bool | None = fact("建设知识产权专业托管服务平台", help="Builds an IP trusteeship service platform, 二（一）2")
    gbt29490_reward_received: bool | None = fact("已获江北区贯标奖励", help="Has already received the district's one-off GB/T 29490 reward")
    patent_navigation_project: bool | None = fact("开展专利导航项目", help="Runs a patent navigation (专利导航) project, 二（三）7")
    collective_certification_marks: int | None = fact("集体商标证明商标数", "件", "Registered collective and certification marks held", **NonNegative)
    gi_mark_user: bool | None = fact("使用地理标志专用标志", help="Authorised to use the geographical-indication special mark")
    madrid_registrations_new: int | None = fact("上年度新获马德里国际注册商标数", "件", "Madrid registrations obtained in the last calendar year", **NonNegative)
    pledge_collateral_patent_or_trademark: bool | None = fact("质押物为发明实用新型专利或商标", help="The pledge loan is secured on an invention or utility-model patent or a trademark")
    work_copyright_registrations: int | None = fact("作品著作权登记数", "件", "Registered copyrights in works (not software)", **NonNegative)
    copyright_pledge_loan_amount: Money | None = fact("版权质押融资金额", "万元", **NonNegative)

    # IP strength (the ip_strength scorecard, rules/ip_strength/)
    patent_product_revenue: Money | None = fact("专利产品收入", "万元", "Revenue from products based on the firm's patents, latest year", **NonNegative)
    overseas_patent_families: int | None = fact("海外专利族数", "件", "Patent families with at least one member granted or filed abroad", **NonNegative)
    invention_patents_10y: int | None = fact("维持超过10年的发明专利数", "件", **NonNegative)
    ip_disputes_won: int | None = fact("近三年知识产权纠纷胜诉数", "件", **NonNegative)
    ip_penalties_3y: int | None = fact("近三年知识产权侵权处罚次数", "次", **NonNegative)
    ip_budget: Money | None = fact("知识产权工作经费", "万元", "IP work budget, latest year", **NonNegative)
    patent_attorneys: int | None = fact("执业专利代理师人数", "人", **NonNegative)
    ip_service_clients: int | None = fact("年度知识产权服务客户数", "家", **NonNegative)

    # designations (63号, 32号)
    # 创新型 / 专精特新中小企业 (工信部企业〔2022〕63号), 高新技术企业 (国科发火〔2016〕32号), 高价值发明专利 (CNIPA)
    prohibited_products: bool | None = fact("主导产品属于禁止限制淘汰类", help="Main products are prohibited, restricted or obsolete under national industrial policy (63号 第五条)")
    sci_tech_award_3y: bool | None = fact("近三年获得科技奖励", help="Won a government science and technology award in the last three years")
    sci_tech_award_level_3y: Level | None = fact("近三年最高科技奖励级别", help="Level of the highest such award: national / provincial / municipal / district")
    sci_tech_award_rank_3y: int | None = fact("最高科技奖励获奖排名", "名", "The firm's rank among the award's winning organisations", ge=1)
    maker_china_top500_3y: bool | None = fact("近三年进入创客中国全国500强", help="Entered the national top-500 list of the 创客中国 SME contest in the last three years")
    main_product_field: str | None = fact("主导产品所属领域", help="gap_filling (补短板/锻长板/填空白且取得实际成效), industrial_foundation (工业“六基”), chain_leader_supplier (产业链龙头企业配套), other")
    quality_award_provincial: bool | None = fact("获得省级以上质量奖", help="Holds a provincial-or-higher quality award")
    quality_system_certified: bool | None = fact("通过质量管理体系认证", help="Certified to ISO 9001 or a similar quality management system")
    own_brand: bool | None = fact("拥有自主品牌")
    drafted_standards: bool | None = fact("参与制修订标准", help="Took part in drafting national, industry or group standards")
    total_income: Money | None = fact("总收入", "万元", "收入总额 less 不征税收入, latest year (国科发火〔2016〕195号), for the high-tech revenue share", **NonNegative)
    key_supported_field: bool | None = fact("核心技术属于重点支持高新技术领域", help="Core technology is within 《国家重点支持的高新技术领域》")
    major_violation_1y: bool | None = fact("申请前一年内发生重大安全质量事故或严重环境违法", help="Major safety or quality accident or severe environmental violation in the year before application")
    hte_tech_level_score: int | None = fact("技术先进程度评分", "分", "Expert score, 0-8 (195号 知识产权 item 1)", ge=0, le=8)
    hte_core_support_score: int | None = fact("知识产权核心支持作用评分", "分", "Expert score, 0-8 (195号 知识产权 item 2)", ge=0, le=8)
    hte_ip_acquisition_score: int | None = fact("知识产权获得方式评分", "分", "Expert score, 0-6: self-developed 1-6, only acquired 1-3 (195号 知识产权 item 4)", ge=0, le=6)
    hte_rd_management_score: int | None = fact("研发组织管理水平评分", "分", "Expert score, 0-20 (195号 研究开发组织管理水平)", ge=0, le=20)
    hvp_strategic_emerging: int | None = fact("战略性新兴产业发明专利数", "件", "Valid invention patents in a strategic emerging industry (CNIPA 高价值发明专利 category 1)", **NonNegative)
    hvp_overseas_family: int | None = fact("有海外同族的发明专利数", "件", "Valid invention patents with a granted family member abroad (category 2)", **NonNegative)
    hvp_max_pledge_amount: Money | None = fact("单件发明专利最高质押融资额", "万元", "Highest pledge financing secured on a single invention patent (category 4)", **NonNegative)
    hvp_award: int | None = fact("获中国专利奖或国家科技奖的发明专利数", "件", "Invention patents that won a China Patent Award or a national S&T award (category 5)", **NonNegative)

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
        if v is not None and not re.fullmatch(r"\d{6}", v):
            raise bilingual_error("must be a 6-digit division code such as 500105", "应为 6 位行政区划代码，如 500105")
        return v

    @field_validator("industry_code")
    @classmethod
    def _industry(cls, v: str | None) -> str | None:
        return None if v is None else normalise_industry_code(v)

    @field_validator("rd_institution_level", "sci_tech_award_level_3y", mode="before")
    @classmethod
    def _level_zh(cls, v: Any) -> Any:
        return LEVEL_ZH.get(v, v) if isinstance(v, str) else v

    @model_validator(mode="after")
    def _consistent(self) -> "EnterpriseProfile":
        for small, big in CROSS_CHECKS:
            a, b = getattr(self, small), getattr(self, big)
            if a is not None and b is not None and a > b:
                raise bilingual_error(
                    f"{small} ({a}) cannot exceed {big} ({b})",
                    f"{label_zh(small)}（{a}）不能大于{label_zh(big)}（{b}）", field=small)
        today = date.today()
        for name in ("registration_date", "last_ip_penalty_date"):
            day = getattr(self, name)
            if day is not None and day > today:
                raise bilingual_error(f"{name} {day} is in the future", f"{label_zh(name)} {day} 晚于今天",
                                      field=name)
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

FIELDS = EnterpriseProfile.model_fields
KEY_BY_LABEL: dict[str, str] = {f.json_schema_extra["zh"]: name for name, f in FIELDS.items()}  # type: ignore[index]


def label_zh(name: str) -> str:
    return FIELDS[name].json_schema_extra["zh"]  # type: ignore[index]


def unit_of(name: str) -> str | None:
    return FIELDS[name].json_schema_extra["unit"]  # type: ignore[index]


FieldKind = Literal["number", "integer", "bool", "date", "text", "level", "titles"]


def field_kind(name: str) -> FieldKind:
    ann = str(FIELDS[name].annotation)
    for token, kind in (("Title", "titles"), ("Level", "level"), ("bool", "bool"), ("date", "date"),
                        ("int", "integer"), ("float", "number"), ("str", "text")):
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


PYDANTIC_ZH = {   # pydantic's error types in Chinese
    "missing": "缺少", "extra_forbidden": "未知字段（请检查拼写）", "int_parsing": "应为整数",
    "int_from_float": "应为整数", "float_parsing": "应为数字", "finite_number": "不能为 NaN 或无穷大",
    "bool_parsing": "应为 是/否（true/false）", "date_parsing": "应为日期 YYYY-MM-DD",
    "date_from_datetime_parsing": "应为日期 YYYY-MM-DD", "date_type": "应为日期 YYYY-MM-DD",
    "string_type": "应为文本", "int_type": "应为整数", "float_type": "应为数字", "bool_type": "应为 是/否",
    "list_type": "应为列表", "model_type": "应为对象", "enum": "取值不在允许范围内",
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
            zh = PYDANTIC_ZH.get(e["type"]) or _bound_zh(e["type"], ctx) or en
        value = e.get("input") if e["type"] != "missing" else None
        if isinstance(value, dict) and "field" in ctx:
            value = value.get(ctx["field"])
        issues.append(ProfileIssue(field=field, field_zh=label_zh(name) if name in FIELDS else None, value=value,
                                   message_en=en, message_zh=zh))
    return issues


def _bound_zh(kind: str, ctx: dict[str, Any]) -> str | None:
    words = {"greater_than_equal": "不能小于", "greater_than": "必须大于", "less_than_equal": "不能大于",
             "less_than": "必须小于"}
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
        raise ProfileInputError([ProfileIssue(field="(profile)", field_zh=None, value=type(data).__name__,
                                              message_en="a profile must be a JSON object",
                                              message_zh="企业信息必须是 JSON 对象")])
    try:
        return EnterpriseProfile.model_validate(data)
    except ValidationError as err:
        raise ProfileInputError(describe_errors(err)) from None
