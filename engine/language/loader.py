"""Load a rule pack: safe YAML with line numbers, validation, name resolution, dependency order."""

from __future__ import annotations

import graphlib
import hashlib
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from engine.language.graph import (  # noqa: F401 (dependencies, expressions_of, instances_of: re-exported)
    dependencies,
    evaluation_order,
    expressions_of,
    instances_of,
)
from engine.language.rules import (
    Condition,
    Dated,
    Derived,
    Exclusion,
    ExclusiveGroup,
    Expression,
    Information,
    Parameter,
    Policy,
    RuleFile,
    Scorecard,
    Strict,
)
from engine.language.suggest import did_you_mean
from engine.language.types import check_pack
from engine.model.profile import FIELDS, KEY_BY_LABEL, PYDANTIC_ZH, unit_of
from engine.model.profile import label as field_label

MAX_FILE_BYTES = 1_000_000
MAX_NESTING = 40  # YAML levels: the deepest shipped rule is about 12

SPECIAL_NAMES = {"as_of": "as_of", "评估日期": "as_of"}
DEFAULT_RULES = (Path(__file__).resolve().parents[1] / "rules").resolve()  # the shipped pack: engine/rules


@dataclass(frozen=True)
class RuleIssue:
    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line or 1}: {self.message}"


class RuleLoadError(Exception):
    def __init__(self, issues: list[RuleIssue]) -> None:
        self.issues = issues
        super().__init__("\n".join(map(str, issues)))


# --- YAML with line numbers ------------------------------------------------


class LineDict(dict):
    line: int = 0
    lines: dict[Any, int]


class LineList(list):
    line: int = 0
    lines: list[int]


class _Guarded(yaml.composer.Composer):
    """Composition that refuses aliases and deep nesting, construction that words a value it cannot make
    (shared by both loaders below)."""

    depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        """PyYAML composes recursively: refusing deep nesting here bounds that recursion by MAX_NESTING."""
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise yaml.MarkedYAMLError(
                "YAML aliases are not allowed in rule files / 规则文件不允许使用 YAML 别名", mark
            )
        self.depth += 1
        try:
            if self.depth > MAX_NESTING:
                raise yaml.MarkedYAMLError(
                    f"nested deeper than {MAX_NESTING} levels / 嵌套超过 {MAX_NESTING} 层", self.peek_event().start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        """A scalar PyYAML cannot make into its type (`from: 2023-02-30`, `!!int x`) is an error at its line,
        not a ValueError out of the loader."""
        try:
            return super().construct_object(node, deep)  # type: ignore[misc]
        except (ValueError, TypeError, AttributeError, OverflowError) as e:
            value = str(node.value)[:80] if isinstance(node, yaml.ScalarNode) else node.tag
            raise yaml.MarkedYAMLError(
                f"invalid value {value!r} ({e}) / 无效的值 {value!r}：不是有效的日期或数字", node.start_mark
            ) from None


class _Loader(_Guarded, yaml.SafeLoader):
    """SafeLoader that records line numbers and refuses aliases and duplicate keys: the reference, and the
    one whose errors are worded (yaml_issue)."""


if yaml.__with_libyaml__:  # PyYAML built without libyaml (a source build, some platforms): the reference alone

    class _FastLoader(_Guarded, yaml.cyaml.CParser, yaml.constructor.SafeConstructor, yaml.resolver.Resolver):  # type: ignore[misc]
        """The same loader on libyaml's scanner and parser (C, about 4x faster on the pack): events come from C,
        composition (with its guards) and construction are the Python ones above. libyaml's parser is a state
        machine, so a hostile file cannot recurse in C."""

        def __init__(self, stream: str) -> None:
            yaml.cyaml.CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    _FAST: type | None = _FastLoader
else:
    _FAST = None
_LOADERS: tuple[type, ...] = (_Loader,) if _FAST is None else (_Loader, _FAST)


def _mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    out = LineDict()
    out.line, out.lines = node.start_mark.line + 1, {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, (dict, list)):  # `{a: 1}: 2` or `? [a]`: YAML allows it, a rule file never needs it
            raise yaml.MarkedYAMLError(
                "a key must be a plain value, not a mapping or a list / 键必须是简单的值，不能是映射或列表",
                key_node.start_mark,
            )
        if key in out:
            raise yaml.MarkedYAMLError(f"duplicate key {key!r} / 重复的键 {key!r}", key_node.start_mark)
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = key_node.start_mark.line + 1
    return out


def _sequence(loader: _Loader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_object(child, deep=True) for child in node.value)
    out.line, out.lines = node.start_mark.line + 1, [child.start_mark.line + 1 for child in node.value]
    return out


for _cls in _LOADERS:
    _cls.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
    _cls.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def read_yaml(path: Path, shown: str) -> Any:
    raw = path.read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        raise RuleLoadError([RuleIssue(shown, None, f"file is larger than {MAX_FILE_BYTES} bytes / 文件过大")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise RuleLoadError([RuleIssue(shown, None, f"not UTF-8 text: {e} / 文件不是 UTF-8 编码")]) from None
    return parse_yaml(text, shown)


# Where libyaml accepts what PyYAML refuses (found by tests/test_yaml_reading.py's random edits): tabs as
# separators, '?' as a flow key indicator, a byte-order mark inside the text. The shipped pack has none.
_DIVERGE = re.compile("[\t?\ufeff]")


def parse_yaml(text: str, shown: str) -> Any:
    """A rule file's YAML with line numbers. libyaml reads it unless the text holds a character on which the two
    parsers are known to differ; a file libyaml refuses, or one with such a character, is read by PyYAML's own
    parser, the reference: its error is the one worded for the author, and what it accepts is what is loaded.
    Without libyaml (PyYAML built without it), the reference reads every file."""
    if _FAST is not None and not _DIVERGE.search(text):
        try:
            return yaml.load(text, Loader=_FAST)
        except yaml.YAMLError:
            pass
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as e:
        raise RuleLoadError([yaml_issue(e, text, shown)]) from None


# PyYAML's messages, in Chinese, and which mark is the author's line: for an unclosed bracket or quote
# the parser notices at the next token (often the next line); the author needs the line that opened it.
_YAML_ZH: list[tuple[str, str, str, bool]] = [  # (context has, problem has, Chinese, use the context's line)
    ("flow mapping", "expected ','", "花括号 {{ 未闭合：缺少 '}}' 或 ','（从第 {open} 行开始）", True),
    ("flow sequence", "expected ','", "方括号 [ 未闭合：缺少 ']' 或 ','（从第 {open} 行开始）", True),
    ("quoted scalar", "", "引号未闭合（从第 {open} 行开始）", True),
    ("", "cannot start any token", "此处有无法识别的字符（缩进请用空格，不能用制表符）", False),
    ("", "mapping values are not allowed", "此处不能出现 ':'：值中含冒号时请给整个值加引号", False),
    ("", "expected <block end>", "缩进不一致：同一层的各项须对齐", False),
    ("", "could not find expected ':'", "缺少 ':'：每个键后须有冒号", False),
    ("", "expected <document start>", "缩进或格式错误：此行不属于任何键", False),
    ("", "expected a comment or a line break", "多余的内容：引号或括号后不能再写其他文字", False),
]


def yaml_issue(error: yaml.YAMLError, text: str, shown: str) -> RuleIssue:
    """One bilingual issue at the author's line, with the line and a caret under the spot."""
    context, problem = str(getattr(error, "context", "") or ""), str(getattr(error, "problem", "") or "")
    opened, found = getattr(error, "context_mark", None), getattr(error, "problem_mark", None)
    en = " ".join(p for p in (context, problem) if p) or str(error)
    zh, mark = "YAML 格式错误", found or opened
    for ctx_has, problem_has, words, at_open in _YAML_ZH:
        if ctx_has in context and problem_has in problem:
            zh = words.format(open=opened.line + 1 if opened else "?")
            mark = (opened if at_open and opened else found) or mark
            break
    if " / " in context and not problem:  # our own refusals (aliases, duplicate keys, nesting): "en / zh"
        en, zh = context.split(" / ", 1)
    line = mark.line + 1 if mark else None
    return RuleIssue(shown, line, f"{zh} / YAML error: {en}" + excerpt(text, mark))


def excerpt(text: str, mark: Any) -> str:
    """The offending line with a caret under the column, as compilers show it."""
    if mark is None:
        return ""
    lines = text.splitlines()
    if not 0 <= mark.line < len(lines):
        return ""
    source = lines[mark.line][:160]
    width = sum(2 if ord(c) > 0x2E80 else 1 for c in source[: mark.column])  # CJK takes two columns
    number = f"{mark.line + 1} | "
    return f"\n    {number}{source}\n    {' ' * len(number)}{' ' * width}^"


def line_of(raw: Any, loc: Iterable[Any]) -> int | None:
    """The line of the deepest node along a pydantic error location."""
    line = getattr(raw, "line", None)
    node = raw
    for part in loc:
        if (isinstance(node, LineDict) and part in node) or (
            isinstance(node, LineList) and isinstance(part, int) and part < len(node)
        ):
            line, node = node.lines[part], node[part]
    return line


# --- the pack --------------------------------------------------------------


@dataclass
class RulePack:
    root: Path
    hash: str
    parameters: dict[str, Parameter]
    derived: dict[str, Derived]
    scorecards: dict[str, Scorecard]
    policies: dict[str, list[Policy]]  # id -> dated versions
    order: list[str]  # derived, scorecard and policy ids in dependency order
    origin: dict[str, tuple[str, int]]  # id -> (file, line)
    aliases: dict[str, str] = field(default_factory=dict)  # every written name -> canonical id
    exclusive: dict[str, ExclusiveGroup] = field(default_factory=dict)  # 不重复享受 groups by id
    information: dict[str, Information] = field(default_factory=dict)  # 可咨询 entries by id
    exclusions: dict[str, Exclusion] = field(default_factory=dict)  # conditions declared once, by id
    # What evaluations reuse (engine.evaluate.evaluator.prepared): lives and dies with this pack, which is never
    # changed after load, so a reload starts with empty caches.
    memo: dict[Any, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    def policy_on(self, policy_id: str, day: Any) -> Policy | None:
        return next((p for p in self.policies[policy_id] if p.in_force(day)), None)

    def versions_on(self, day: date) -> tuple[tuple[int, ...], ...]:
        """What of the pack changes with the date (the parameter and policy versions and the scorecards'
        status periods in force, by identity): dates that agree on it evaluate alike but for the date
        itself, so the evaluators compile once per value of it, not once per date."""
        return (
            tuple(id(param.version_on(day)) for param in self.parameters.values()),
            tuple(id(self.policy_on(ident, day)) for ident in self.policies),
            tuple(id(card.period_on(day)) for card in self.scorecards.values()),
        )

    def exclusions_of(self, policy_id: str) -> list[Exclusion]:
        """The declared exclusions a policy carries (the loader added them to its conditions)."""
        return [e for e in self.exclusions.values() if e.policies == "all" or policy_id in e.policies]

    def label(self, name: str) -> tuple[str, str]:
        """(zh, en) label of any name an expression can read."""
        if name in FIELDS:
            return field_label(name, "zh"), field_label(name, "en")
        if name == "as_of":
            return "评估日期", "as-of date"
        base = name.removesuffix("_passed")
        for table in (self.parameters, self.derived, self.scorecards):
            if base in table:
                text = table[base].label
                return (text.zh + "达标", text.en + " passed") if base != name else (text.zh, text.en)
        if name in self.policies:
            title = self.policies[name][0].title
            return title.zh, title.en
        return name, name

    def unit(self, name: str) -> str | None:
        """The unit of a parameter, derived fact or profile field (None: no unit, or not a number)."""
        for table in (self.parameters, self.derived):
            if name in table:
                return table[name].unit  # type: ignore[attr-defined]
        return unit_of(name) if name in FIELDS else None


SECTIONS = ("parameters", "derived", "scorecards", "policies")


def _declared_names(files: list[tuple[str, Any]]) -> tuple[dict[str, str], list[RuleIssue]]:
    """Every name an expression may use: profile fields, pack ids and their Chinese names."""
    names: dict[str, str] = {name: name for name in FIELDS} | dict(KEY_BY_LABEL) | dict(SPECIAL_NAMES)
    owner: dict[str, tuple[str, str]] = {}
    issues: list[RuleIssue] = []
    for shown, raw in files:
        for section in SECTIONS:
            items = raw.get(section) if isinstance(raw, dict) else None
            for pos, item in enumerate(items if isinstance(items, list) else []):
                if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                    continue
                ident = item["id"]
                line = items.lines[pos] if isinstance(items, LineList) else None
                if ident in owner and not (section == "policies" == owner[ident][1]):
                    issues.append(
                        RuleIssue(
                            shown,
                            line,
                            f"id {ident!r} is already defined in {owner[ident][0]} / 标识 {ident!r} 重复定义",
                        )
                    )
                if ident in FIELDS:
                    issues.append(RuleIssue(shown, line, f"id {ident!r} is a profile field / 标识与企业信息字段重名"))
                owner.setdefault(ident, (shown, section))
                extra = [ident + "_passed"] if section == "scorecards" else []
                for name in [ident, *extra]:
                    names[name] = name
                zh = item.get("name_zh")
                if isinstance(zh, str):
                    names[zh] = ident
                    if section == "scorecards":
                        names[zh + "达标"] = ident + "_passed"
    return names, issues


_ID_LINE = re.compile(r"(?:^|[\s{,-])(?:id|name_zh)\s*:\s*['\"]?([^\s'\"#{}\[\],]+)", re.MULTILINE)


def guessed_names(path: Path) -> set[str]:
    """The ids and Chinese names a file that is not valid YAML seems to define (read line by line)."""
    try:
        text = path.read_bytes()[:MAX_FILE_BYTES].decode("utf-8", errors="replace")
    except OSError:
        return set()
    found = set(_ID_LINE.findall(text))
    return found | {n + "_passed" for n in found} | {n + "达标" for n in found}


def _validate(shown: str, raw: Any, names: dict[str, str]) -> tuple[RuleFile | None, list[RuleIssue]]:
    if raw is None:  # no section at all: an editor mid-save (truncate, then write) would drop every rule it held
        message = "rule file is empty (delete the file to remove its rules) / 规则文件为空（如要删除其中的规则，请删除该文件）"
        return None, [RuleIssue(shown, 1, message)]
    if not isinstance(raw, dict):
        return None, [RuleIssue(shown, 1, "a rule file must be a mapping of sections / 规则文件顶层必须是映射")]
    try:
        rule_file = RuleFile.model_validate(raw, context={"resolve": names.__getitem__, "known": names})
        attach_lines(rule_file, raw, raw.line)
        return rule_file, []
    except ValidationError as err:
        issues = []
        for e in err.errors():
            loc = [p for p in e["loc"] if not (isinstance(p, str) and "[" in p)]
            issues.append(RuleIssue(shown, line_of(raw, loc), schema_message(e, loc)))
        return None, issues


def attach_lines(obj: Any, raw: Any, line: int | None) -> None:
    """Give every Expression of a validated rule object the line it was written on (raw is its YAML)."""
    todo = [(obj, raw, line)]
    while todo:
        obj, raw, line = todo.pop()
        if isinstance(obj, Expression):
            obj.line = line
        elif isinstance(obj, list):
            lines = raw.lines if isinstance(raw, LineList) and len(raw) == len(obj) else [line] * len(obj)
            todo += [
                (o, r if isinstance(raw, LineList) else None, n)
                for o, r, n in zip(obj, raw if isinstance(raw, LineList) else [None] * len(obj), lines)
            ]
        elif hasattr(obj, "__pydantic_fields__"):
            for name, info in type(obj).model_fields.items():
                key = info.alias or name
                if isinstance(raw, LineDict) and key in raw:
                    todo.append((getattr(obj, name), raw[key], raw.lines[key]))
                else:  # a shorthand (a condition written as its expression) lives on the parent's line
                    todo.append((getattr(obj, name), None, line))


def _rule_keys() -> set[str]:
    """Every key a rule file may use (fields and aliases of every rule model)."""
    keys: set[str] = set()
    todo: list[Any] = [RuleFile]
    while todo:
        model = todo.pop()
        for name, info in model.model_fields.items():
            keys |= {name, info.alias or name}
        todo += [
            m
            for m in Strict.__subclasses__() + Dated.__subclasses__()
            if m not in todo and m is not model and not keys.issuperset(m.model_fields)
        ]
    return keys


RULE_KEYS = _rule_keys()


def schema_message(e: Any, loc: list[Any]) -> str:
    """A pydantic error on a rule file, in Chinese and English, naming the key ("did you mean" for a typo)."""
    where = ".".join(str(p) for p in loc)
    en = e["msg"].removeprefix("Value error, ")
    if " / " in en:  # our own validators write "zh / en" or "en / zh" already
        return f"{where}: {en}"
    key = str(loc[-1]) if loc else ""
    if e["type"] == "extra_forbidden":
        hint_en, hint_zh = did_you_mean(key, RULE_KEYS)
        return f"{where}: 未知的键 {key!r}{hint_zh} / unknown key {key!r}{hint_en}"
    if e["type"] == "missing":
        return f"{where}: 缺少必填项 {key!r} / Field required"
    return f"{where}: {PYDANTIC_ZH.get(e['type'], '取值不符合要求')} / {en}"


def pack_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*.y*ml") if p.is_file())


def pack_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in pack_files(root):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def load_pack(root: Path | str = DEFAULT_RULES) -> RulePack:
    """Load and check a rule folder; raise RuleLoadError listing every problem with file:line."""
    root = Path(root)
    if not root.is_dir():
        raise RuleLoadError([RuleIssue(str(root), None, "not a folder of rule files / 不是规则文件夹")])
    issues: list[RuleIssue] = []
    files: list[tuple[str, Any]] = []
    broken: list[Path] = []
    for path in pack_files(root):
        shown = str(path)
        try:
            files.append((shown, read_yaml(path, shown)))
        except RuleLoadError as e:
            issues += e.issues
            broken.append(path)
    names, name_issues = _declared_names(files)
    for path in broken:  # one error per broken file: what it would have defined is not "unknown" elsewhere
        for name in guessed_names(path):
            names.setdefault(name, name)
    issues += name_issues
    parsed: list[tuple[str, Any, RuleFile]] = []
    for shown, raw in files:
        rule_file, file_issues = _validate(shown, raw, names)
        issues += file_issues
        if rule_file is not None:
            parsed.append((shown, raw, rule_file))
    if issues:
        raise RuleLoadError(issues)
    return _assemble(root, parsed, names)


def _assemble(root: Path, parsed: list[tuple[str, Any, RuleFile]], names: dict[str, str]) -> RulePack:
    pack = RulePack(
        root=root,
        hash=pack_hash(root),
        parameters={},
        derived={},
        scorecards={},
        policies={},
        order=[],
        origin={},
        aliases=names,
    )
    issues: list[RuleIssue] = []
    for shown, raw, rule_file in parsed:
        for section in SECTIONS:
            for pos, item in enumerate(getattr(rule_file, section)):
                pack.origin.setdefault(item.id, (shown, raw[section].lines[pos]))
                if section == "policies":
                    pack.policies.setdefault(item.id, []).append(item)
                else:
                    getattr(pack, section)[item.id] = item
    issues += _check_versions(pack)
    issues += _collect_exclusive(pack, parsed)
    issues += _apply_exclusions(pack, parsed)
    for shown, raw, rule_file in parsed:
        for pos, entry in enumerate(rule_file.information):
            line = raw["information"].lines[pos]
            if entry.id in pack.information or entry.id in pack.origin:
                issues.append(
                    RuleIssue(
                        shown,
                        line,
                        f"information entry {entry.id!r} is already defined / 可咨询条目 {entry.id!r} 重复定义",
                    )
                )
            pack.information.setdefault(entry.id, entry)
            pack.origin.setdefault(entry.id, (shown, line))
    try:
        pack.order = evaluation_order(pack)
    except graphlib.CycleError as e:
        cycle = e.args[1]
        file, line = pack.origin.get(cycle[0], ("?", None))
        issues.append(RuleIssue(file, line, "dependency cycle: " + " -> ".join(cycle) + " / 规则之间存在循环依赖"))
    if not issues:
        issues += [RuleIssue(file, line, message) for file, line, message in check_pack(pack)[1]]
    if issues:
        raise RuleLoadError(issues)
    return pack


def _collect_exclusive(pack: RulePack, parsed: list[tuple[str, Any, RuleFile]]) -> list[RuleIssue]:
    """Exclusive groups: unique ids, naming existing policies, each policy once."""
    issues = []
    for shown, raw, rule_file in parsed:
        for pos, group in enumerate(rule_file.exclusive):
            line = raw["exclusive"].lines[pos]
            if group.id in pack.exclusive:
                issues.append(
                    RuleIssue(
                        shown,
                        line,
                        f"exclusive group {group.id!r} is already defined / 不重复享受组 {group.id!r} 重复定义",
                    )
                )
            pack.exclusive.setdefault(group.id, group)
            pack.origin.setdefault(f"exclusive:{group.id}", (shown, line))
            for ident in group.policies:
                if ident not in pack.policies:
                    hint_en, hint_zh = did_you_mean(ident, pack.policies)
                    issues.append(
                        RuleIssue(
                            shown,
                            line,
                            f"不重复享受组 {group.id!r} 引用了不存在的政策 {ident!r}{hint_zh}"
                            f" / exclusive group {group.id!r}: no policy {ident!r}{hint_en}",
                        )
                    )
            if len(set(group.policies)) != len(group.policies):
                issues.append(
                    RuleIssue(
                        shown,
                        line,
                        f"exclusive group {group.id!r} lists a policy twice"
                        f" / 不重复享受组 {group.id!r} 重复列出同一政策",
                    )
                )
    return issues


def _apply_exclusions(pack: RulePack, parsed: list[tuple[str, Any, RuleFile]]) -> list[RuleIssue]:
    """Add each declared exclusion to the root `all` of every version of the policies it names."""
    issues = []
    for shown, raw, rule_file in parsed:
        for pos, exclusion in enumerate(rule_file.exclusions):
            line = raw["exclusions"].lines[pos]

            def say(zh: str, en: str, shown: str = shown, line: int = line, ident: str = exclusion.id) -> None:
                issues.append(RuleIssue(shown, line, f"排除条件 {ident!r}：{zh} / exclusion {ident!r}: {en}"))

            if exclusion.id in pack.exclusions:
                say("重复定义", "is already defined")
            pack.exclusions.setdefault(exclusion.id, exclusion)
            pack.origin.setdefault(f"exclusion:{exclusion.id}", (shown, line))
            targets = list(pack.policies) if exclusion.policies == "all" else exclusion.policies
            for ident in targets:
                if ident not in pack.policies:
                    hint_en, hint_zh = did_you_mean(ident, pack.policies)
                    say(f"引用了不存在的政策 {ident!r}{hint_zh}", f"no policy {ident!r}{hint_en}")
                    continue
                for version in pack.policies[ident]:
                    problem = _exclusion_problem(exclusion, version)
                    if problem:
                        say(*problem)
                    elif _overlaps(exclusion, version):
                        version.conditions.all.append(exclusion.condition())  # type: ignore[union-attr]
    return issues


def _overlaps(a: Dated, b: Dated) -> bool:
    return (a.valid_to is None or b.valid_from <= a.valid_to) and (b.valid_to is None or a.valid_from <= b.valid_to)


def _exclusion_problem(exclusion: Exclusion, policy: Policy) -> tuple[str, str] | None:
    """Why the exclusion cannot be added to this policy version (None: it can, or it is not in force then)."""
    if not _overlaps(exclusion, policy):
        return None
    if policy.conditions.all is None:
        return (f"政策 {policy.id!r} 的条件须以 all 列出", f"policy {policy.id!r} must list its conditions under `all`")
    inside = exclusion.valid_from <= policy.valid_from and (
        exclusion.valid_to is None or (policy.valid_to is not None and policy.valid_to <= exclusion.valid_to)
    )
    if not inside:
        return (
            f"只覆盖政策 {policy.id!r}（{policy.valid_from} 起）有效期的一部分：请按排除条件的日期拆分政策版本",
            f"covers only part of policy {policy.id!r} (from {policy.valid_from}): split the policy version at its dates",
        )
    if any(ident == exclusion.id for ident, _ in walk_conditions(policy.conditions)):
        return (
            f"政策 {policy.id!r} 已有同名条件：删去政策中的副本，由排除条件统一添加",
            f"policy {policy.id!r} already has a condition with this id: remove the copy, the exclusion adds it",
        )
    return None


def _check_versions(pack: RulePack) -> list[RuleIssue]:
    issues = []
    dated: list[tuple[str, list[Any]]] = [(k, v) for k, v in pack.policies.items()]
    dated += [(k, p.versions) for k, p in pack.parameters.items()]
    for ident, versions in dated:
        spans = sorted(versions, key=lambda v: v.valid_from)
        for a, b in itertools.pairwise(spans):
            if a.valid_to is None or a.valid_to >= b.valid_from:
                file, line = pack.origin[ident]
                issues.append(
                    RuleIssue(
                        file, line, f"{ident}: versions from {a.valid_from} and {b.valid_from} overlap / 版本有效期重叠"
                    )
                )
        for v in versions:
            if v.valid_to is not None and v.valid_to < v.valid_from:
                file, line = pack.origin[ident]
                issues.append(RuleIssue(file, line, f"{ident}: ends before it starts / 失效日期早于生效日期"))
    return issues


def walk_conditions(cond: Condition, path: str = "c") -> Iterator[tuple[str, Condition]]:
    """Every node of a condition tree with a stable id (its own, or its position)."""
    ident = cond.id or path
    yield ident, cond
    for pos, child in enumerate(cond.children()):
        yield from walk_conditions(child, f"{ident}.{pos + 1}")
