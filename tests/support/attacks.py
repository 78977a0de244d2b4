"""Rule edits an author (or an attacker) might drop into the rules folder, each of which must be refused
at load with its file:line (issue 12). Each is one extra YAML file; `line` is the line of the defect."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

_POLICY = """\
policies:
  - id: attack_policy
    title: {{zh: 攻击, en: Attack}}
    source: {{document: 示例文件, clause: 一}}
    from: 2020-01-01
    conditions:
      all:
        - when: {when}
"""
_DERIVED = """\
derived:
  - id: attack_fact
    label: {{zh: 攻击, en: Attack}}
    formula: {formula}
""" + _POLICY.replace("{when}", "attack_fact")
_PARAMETER = """\
parameters:
  - id: attack_threshold
    label: {{zh: 攻击, en: Attack}}
    versions:
      - from: 2020-01-01
        value: {value}
        status: assumed
        source: {{document: 示例文件}}
""" + _POLICY.replace("{when}", "revenue >= attack_threshold")


@dataclass(frozen=True)
class Attack:
    name: str
    text: str
    line: int  # where the defect is written
    expect: str  # a word the message must contain

    def drop(self, folder: Path) -> Path:
        path = folder / "zz_attack.yaml"
        path.write_text(self.text, encoding="utf-8")
        return path


ATTACKS = [
    Attack("text_vs_number", _DERIVED.format(formula="revenue > 'abc'"), 4, "类型错误"),
    Attack("date_arithmetic", _POLICY.format(when="registration_date * 2 > 1"), 8, "类型错误"),
    Attack("bool_arithmetic", _POLICY.format(when="legal_person + 1 > 1"), 8, "类型错误"),
    Attack("nan_parameter", _PARAMETER.format(value=".nan"), 6, "NaN"),
    Attack("inf_parameter", _PARAMETER.format(value=".inf"), 6, "NaN"),
    Attack("huge_literal", _POLICY.format(when="revenue > " + "9" * 400), 8, "超出范围"),
    Attack("unknown_title", _POLICY.format(when="has_title('no_such_title')"), 8, "未知称号"),
    Attack("unknown_enum_value", _POLICY.format(when="rd_institution_level == 'provincal'"), 8, "provincial"),
    Attack("long_chain", _POLICY.format(when="1" + "+1" * 998), 8, "嵌套"),
    Attack("deep_yaml", "policies: " + "[" * 50_000 + "]" * 50_000 + "\n", 1, "嵌套"),
]
