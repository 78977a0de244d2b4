"""The expression language: what it accepts, and every escape attempt refused at parse time."""

import pytest

from engine.language import expr as ex

KNOWN = {"研发费用": "rd_expense", "rd_expense": "rd_expense", "revenue": "revenue", "a": "a", "b": "b"}


def parse(text: str) -> ex.Node:
    return ex.parse(text, KNOWN.__getitem__)


def test_precedence_and_chinese_names() -> None:
    node = parse("研发费用 / revenue >= 3% and not a < b or a == 1")
    assert isinstance(node, ex.Or)
    left = node.operands[0]
    assert isinstance(left, ex.And)
    assert left.operands[0] == ex.Compare(
        ">=", ex.BinOp("/", ex.Name("rd_expense"), ex.Name("revenue")), ex.Num(0.03, percent=True)
    )


def test_chained_comparison_is_a_conjunction() -> None:
    assert parse("1 <= a < 2") == ex.And(
        (ex.Compare("<=", ex.Num(1), ex.Name("a")), ex.Compare("<", ex.Name("a"), ex.Num(2)))
    )


def test_literals() -> None:
    assert parse("2023-01-31").value.isoformat() == "2023-01-31"  # type: ignore[union-attr]
    assert parse("'500105'") == ex.Str("500105")
    assert parse("true") == ex.Bool(True)
    assert parse("a ≥ 1") == ex.Compare(">=", ex.Name("a"), ex.Num(1))


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("__import__('os')", "not allowed"),
        ("a.__class__", "attribute access"),
        ("a ** 2", "'**'"),
        ("a[0]", "subscripts"),
        ("lambda x: x", "not allowed"),
        ("[x for x in a]", "subscripts"),
        ("{}", "braces"),
        ("eval('1')", "not allowed"),
        ("open('/etc/passwd')", "not allowed"),
        ("os", "unknown name"),
        ("exit(1)", "unknown function"),
        ("a = 1", "single '='"),
        ("a; b", "';'"),
        ("a >=", "unexpected"),
        ("(a", "expected ')'"),
        ("min(a)", "takes 2+ arguments"),
        ("", "empty"),
        ("2023-13-45", "invalid date"),
    ],
)
def test_refused_with_a_clear_message(text: str, fragment: str) -> None:
    with pytest.raises(ex.ExprError) as err:
        parse(text)
    assert fragment in str(err.value)


def test_deep_nesting_is_refused() -> None:
    with pytest.raises(ex.ExprError, match="nested deeper"):
        parse("(" * 100 + "a" + ")" * 100)
    with pytest.raises(ex.ExprError, match="nested deeper"):
        parse("not " * 100 + "a")


def test_one_megabyte_expression_is_refused_before_parsing() -> None:
    with pytest.raises(ex.ExprError, match="the limit is"):
        parse("a + " * 250_000 + "a")


def test_names_lists_what_an_expression_reads() -> None:
    assert ex.names(parse("min(a, b) > 研发费用")) == {"a", "b", "rd_expense"}
