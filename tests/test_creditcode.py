"""统一社会信用代码 (GB 32100-2015) and the embedded GB 11714 organisation code."""

import pytest

from engine.model.creditcode import CreditCodeError, make_credit_code, validate_credit_code


def test_the_published_sample_is_valid() -> None:
    assert validate_credit_code("91350100M000100Y43") == "91350100M000100Y43"


def test_lower_case_and_spaces_are_normalised() -> None:
    assert validate_credit_code(" 91350100m000100y43 ") == "91350100M000100Y43"


def test_built_codes_validate() -> None:
    for org in ("MA5U0001", "12345678", "MA60XYWU"):
        assert validate_credit_code(make_credit_code("500105", org))


@pytest.mark.parametrize(
    "code, fragment",
    [
        ("91350100M000100Y4", "18"),
        ("91350100M000100Y44", "expected 3"),
        ("91350100M000100I43", "not allowed"),
        ("91350100M000101Y43", "organisation code"),
    ],
)
def test_invalid_codes_say_why(code: str, fragment: str) -> None:
    with pytest.raises(CreditCodeError) as err:
        validate_credit_code(code)
    assert fragment in err.value.en and err.value.zh


def test_every_single_character_change_is_caught() -> None:
    code = "91350100M000100Y43"
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    for pos in range(18):
        for c in alphabet:
            if c != code[pos]:
                mutated = code[:pos] + c + code[pos + 1 :]
                with pytest.raises(CreditCodeError):
                    validate_credit_code(mutated)
