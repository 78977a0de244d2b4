"""统一社会信用代码 (GB 32100-2015) with its embedded organisation code (GB 11714)."""

from __future__ import annotations

from engine.model.errors import BilingualError

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters, values 0-30 (no I O Z S V)
CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


class CreditCodeError(BilingualError):
    """A credit code that is not a valid 统一社会信用代码."""


def code_check_char(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, CODE_WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def _org_value(c: str) -> int:
    return int(c) if c.isdigit() else ord(c) - ord("A") + 10


def org_check_char(first8: str) -> str:
    total = sum(_org_value(c) * w for c, w in zip(first8, ORG_WEIGHTS))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def validate_credit_code(raw: str) -> str:
    """Return the normalised code or raise CreditCodeError saying what is wrong."""
    code = raw.strip().upper()
    if len(code) != 18:
        raise CreditCodeError(f"must have 18 characters, got {len(code)}", f"应为 18 位，实际 {len(code)} 位")
    bad = sorted({c for c in code if c not in ALPHABET})
    if bad:
        raise CreditCodeError(f"characters not allowed: {' '.join(bad)}", f"含有不允许的字符：{' '.join(bad)}")
    org = code[8:17]
    if org_check_char(org[:8]) != org[8]:
        raise CreditCodeError(
            f"organisation code {org} fails its GB 11714 check (expected {org_check_char(org[:8])})",
            f"组织机构代码 {org} 校验位错误（应为 {org_check_char(org[:8])}）",
        )
    expected = code_check_char(code[:17])
    if code[17] != expected:
        raise CreditCodeError(
            f"check character is {code[17]}, expected {expected}", f"校验码为 {code[17]}，应为 {expected}"
        )
    return code


def division_of(code: str) -> str:
    """The 6-digit administrative division of the registering authority (characters 3-8)."""
    return code[2:8]


def make_credit_code(division: str, org8: str, authority: str = "9", entity: str = "1") -> str:
    """Build a valid code from its parts (used by examples and the generator)."""
    org = org8 + org_check_char(org8)
    first17 = authority + entity + division + org
    return first17 + code_check_char(first17)
