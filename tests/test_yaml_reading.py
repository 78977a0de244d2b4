"""Rule files are read by libyaml (C) with PyYAML's own parser as the reference: the two must give the same
data and lines, and whatever libyaml refuses is worded as the reference words it (engine/language/loader.py)."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.language.loader import DEFAULT_RULES, MAX_NESTING, RuleLoadError, _FastLoader, _Loader, parse_yaml

SHIPPED = sorted(DEFAULT_RULES.rglob("*.yaml"))


def same(a: Any, b: Any, where: str = "") -> None:
    """Equal values of the same types, with the same line numbers on every mapping and list."""
    assert type(a) is type(b) and a == b, where
    assert getattr(a, "line", None) == getattr(b, "line", None), where
    assert getattr(a, "lines", None) == getattr(b, "lines", None), where
    if isinstance(a, dict):
        for key in a:
            same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        for n, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}[{n}]")


def reference(text: str) -> Any:
    return yaml.load(text, Loader=_Loader)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_each_shipped_rule_file_reads_the_same_on_both_parsers(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    same(yaml.load(text, Loader=_FastLoader), reference(text), path.name)


# Characters that change YAML's structure: a mutation with them is often invalid, or valid and different.
SIGNIFICANT = st.sampled_from(list(":-[]{},#&*!|>'\"%@`\t\n ?\\") + ["  ", "\ufeff", "\x00", "\x85", "é", "中"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SHIPPED),
    st.lists(st.tuples(st.floats(0, 1), st.integers(0, 2), SIGNIFICANT), min_size=1, max_size=3),
)
def test_an_edited_rule_file_reads_as_the_reference_reads_it(path: Path, edits: list[tuple[float, int, str]]) -> None:
    """Random edits (insert, delete, replace) of a shipped file: what libyaml accepts, the reference accepts as
    the same data; what either refuses is refused with the reference's words and line."""
    text = path.read_text(encoding="utf-8")
    for where, how, char in edits:
        at = int(where * len(text))
        text = text[:at] + char + text[at + (how > 0) :] if how != 1 else text[:at] + text[at + 1 :]
    try:
        expected: Any = reference(text)
    except yaml.YAMLError as e:
        expected = e
    try:
        got: Any = parse_yaml(text, "a.yaml")
    except RuleLoadError as e:
        assert isinstance(expected, yaml.YAMLError), f"libyaml path refused what the reference reads: {e}"
        assert [str(i) for i in e.issues] == [str(i) for i in RuleLoadError([_issue(expected, text)]).issues]
        return
    assert not isinstance(expected, yaml.YAMLError), f"accepted what the reference refuses: {expected}"
    same(got, expected)


@pytest.mark.parametrize(
    "text",
    ["a:\t1\n", "a: [1,\t2]\n", "a: {b: 1, c?: 2}\n", "a: {b: c?}\n", "a: 1\n\ufeffb: 2\n"],
    ids=["tab-separator", "tab-in-flow", "question-mark-key", "question-mark-value", "inner-bom"],
)
def test_where_the_parsers_differ_the_reference_decides(text: str) -> None:
    """Texts libyaml reads differently from PyYAML (found by the random edits above): read as the reference
    reads them, accepted or refused with its words."""
    try:
        expected: Any = reference(text)
    except yaml.YAMLError as e:
        with pytest.raises(RuleLoadError) as err:
            parse_yaml(text, "a.yaml")
        assert [str(i) for i in err.value.issues] == [str(_issue(e, text))]
        return
    same(parse_yaml(text, "a.yaml"), expected)


def _issue(error: yaml.YAMLError, text: str) -> Any:
    from engine.language.loader import yaml_issue

    return yaml_issue(error, text, "a.yaml")


@pytest.mark.parametrize(
    "text",
    [
        "x: " + "[" * 100_000,  # flow nesting far past the limit: refused, never recursed into
        "x: " + "[" * (MAX_NESTING + 5) + "]" * (MAX_NESTING + 5) + "\n",
        "".join("  " * n + f"k{n}:\n" for n in range(MAX_NESTING + 5)) + "  " * (MAX_NESTING + 5) + "v\n",
    ],
    ids=["unclosed-100k", "closed", "block"],
)
def test_deep_nesting_is_refused_at_its_line(text: str) -> None:
    with pytest.raises(RuleLoadError) as err:
        parse_yaml(text, "a.yaml")
    [issue] = err.value.issues
    assert "嵌套超过" in str(issue) and "nested deeper than" in str(issue) and issue.line is not None


def test_without_libyaml_the_reference_parser_reads_the_pack_alone() -> None:
    """PyYAML built without libyaml (a source build, some platforms) has no yaml.cyaml: the engine must still
    import and read the pack, to the same data, rather than fail at import as it once did."""
    import subprocess
    import sys

    probe = (
        "import sys; sys.modules['yaml._yaml'] = None\n"  # as if PyYAML had been built without libyaml
        "import yaml; assert not yaml.__with_libyaml__\n"
        "from engine.language import loader\n"
        "assert loader._LOADERS == (loader._Loader,)\n"
        "print(loader.load_pack().hash)\n"
    )
    root = Path(__file__).resolve().parent.parent
    run = subprocess.run([sys.executable, "-c", probe], cwd=root, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    from engine.language.loader import load_pack

    assert run.stdout.strip() == load_pack().hash
