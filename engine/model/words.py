"""The words for a decision's status, in one place: reports, workbooks, pages, the rules diff and
the Gherkin steps all take them from here (field labels come from the profile model).

The wordings differ by reader on purpose, and only here: the full form says why a decision is
pending, the short form fits a table cell or a scenario step, and the firm's self-check page says
"not yet" rather than a verdict.
"""

from __future__ import annotations

STATUS_ZH = {
    "eligible": "符合",
    "ineligible": "不符合",
    "undetermined": "待定（缺少信息）",
    "error": "无法判定（规则出错）",
}
STATUS_EN = {
    "eligible": "ELIGIBLE",
    "ineligible": "not eligible",
    "undetermined": "UNDETERMINED (missing facts)",
    "error": "NOT DECIDED (rule error)",
}
STATUS_SHORT_ZH = {"eligible": "符合", "ineligible": "不符合", "undetermined": "待定", "error": "无法判定"}
FOR_FIRMS = {
    "zh": {"eligible": "符合", "ineligible": "暂不符合", "undetermined": "待定", "error": "无法判定（规则出错）"},
    "en": {
        "eligible": "Eligible",
        "ineligible": "Not yet",
        "undetermined": "Undetermined",
        "error": "Not decided (rule error)",
    },
}
RULE_ERROR_IN_TABLE_ZH = "规则计算出错"  # the error status in a screening workbook's cells
INVALID_ZH = "数据有误"  # a row of an applicant table the profile model refused
NOT_IN_FORCE_ZH = "未生效"  # a measure with no version in force at the date (rules diff)
