"""Example inputs shown in the OpenAPI document (a fictional firm, clearly marked 示例)."""

from __future__ import annotations

from datetime import date

EXAMPLE_PROFILE: dict[str, object] = {
    "credit_code": "91500105MA5U00011E",
    "name": "重庆江北知识产权代理有限公司（示例）",
    "registration_date": "2024-03-01",
    "division_code": "500105",
    "industry_code": "M7520",
    "legal_person": True,
    "ip_service_business": True,
    "employees": 12,
    "revenue": 320,
    "total_assets": 210,
    "serious_dishonesty_list": False,
}

# Chinese keys are accepted as well; the form and CSV headers use them.
EXAMPLE_PROFILE_ZH: dict[str, object] = {
    "企业名称": "重庆示例精密制造有限公司（示例）",
    "成立日期": "2015-06-18",
    "注册地行政区划代码": "500105",
    "国民经济行业代码": "C3484",
    "从业人员数": 320,
    "营业收入": 18500,
}

EXAMPLE_AS_OF = date(2025, 6, 30)

# An interview after the opening step: what the firm said, and what it said it does not know.
EXAMPLE_INTERVIEW: dict[str, object] = {
    "values": {
        "统一社会信用代码": "91500105MA5U00011E",
        "企业名称": "重庆示例精密制造有限公司（示例）",
        "注册地行政区划代码": "江北区",
        "国民经济行业代码": "C34",
        "从业人员数": 86,
        "营业收入": 5200,
        "持有称号": [{"title": "高新技术企业"}, {"title": "iso9001_certified"}],
    },
    "unknown": ["资产总额"],
}
