"""What a rule edit changes: `ipcheck rules diff OLD NEW`.

Two parts. The structural diff compares the loaded models of two packs (not their
text) and says in words which policies, parameters, thresholds, benefits, citations
and statuses were added, removed or changed. The population diff evaluates the
same applicants under both packs and, per policy, counts who flips between
eligible, ineligible and undetermined, names the conditions responsible, shows
example rows and the change in the total benefit amount.

`evaluate_population` is the one place that evaluates the population: the vectorised
evaluator (engine.batch.vectorized) gives columns per policy and per leaf condition; only the
few example rows are evaluated one by one, for their reasons in words.
"""

from __future__ import annotations

import html
import io
import json
import subprocess
import tarfile
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from engine.authoring.lint import Finding, lint_pack
from engine.batch.generate import COLUMNS, generate_arrow
from engine.batch.table_error import TableError
from engine.batch.tabular import SUPPORTED, ChunkReader, raw_cell, read_chunks
from engine.batch.vectorized import Vec, columns_from_profiles, evaluate_columns, numeric
from engine.evaluate.evaluator import evaluate
from engine.language.loader import RulePack, walk_conditions
from engine.language.rules import Expression
from engine.model.errors import BilingualError
from engine.model.profile import EnterpriseProfile, ProfileInputError, parse_profile
from engine.model.words import NOT_IN_FORCE_ZH, STATUS_SHORT_ZH

NOT_IN_FORCE = "not_in_force"
IN_FORCE = "(in_force)"  # pseudo-condition: the policy came into or went out of force
STATUS_ZH = {**STATUS_SHORT_ZH, NOT_IN_FORCE: NOT_IN_FORCE_ZH}
SECTION_WORDS = {
    "parameters": ("参数", "parameter"),
    "derived": ("派生事实", "derived fact"),
    "scorecards": ("评分表", "scorecard"),
    "policies": ("政策", "policy"),
    "exclusive": ("不重复享受组", "exclusive group"),
}


class DiffInputError(BilingualError):
    """A rule source or population that cannot be read."""


# --- rule sources --------------------------------------------------------------------


def resolve_rules(spec: str, stack: ExitStack) -> Path:
    """A rule folder, or `git:REV[:PATH]` exported (default PATH `rules`) into a temporary folder."""
    if not spec.startswith("git:"):
        return Path(spec)
    rev, _, sub = spec[4:].partition(":")
    sub = sub or "rules"
    try:
        top = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True
        ).stdout.strip()
        tar = subprocess.run(
            ["git", "-C", top, "archive", "--format=tar", rev, "--", sub], capture_output=True, check=True
        ).stdout
    except FileNotFoundError:
        raise DiffInputError("git is not installed", "未安装 git") from None
    except subprocess.CalledProcessError as e:
        detail = (e.stderr.decode() if isinstance(e.stderr, bytes) else e.stderr or "").strip()
        raise DiffInputError(
            f"cannot export {sub}/ at {rev!r}: {detail}", f"无法导出版本 {rev!r} 的 {sub}/：{detail}"
        ) from None
    folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ipcheck-rules-")))
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        archive.extractall(folder, filter="data")
    return folder / sub


# --- structural diff -------------------------------------------------------------------


@dataclass
class Change:
    kind: str  # added / removed / changed
    section: str  # parameters / derived / scorecards / policies / exclusive
    ident: str
    path: list[str]
    old: Any = None
    new: Any = None
    name: str = ""  # the item's Chinese label, for readers

    @property
    def aspect(self) -> str:
        keys = set(self.path)
        for aspect, marks in (
            ("benefit", {"benefits", "amount", "cap"}),
            ("citation", {"source"}),
            ("status", {"status"}),
            ("dates", {"from", "to"}),
            ("threshold", {"ge", "gt", "le", "lt", "pass_at", "min"}),
            ("condition", {"conditions", "when", "cases", "direct_routes"}),
            ("formula", {"formula", "of", "key", "brackets", "lookup"}),
            ("value", {"value", "points", "versions", "default", "otherwise"}),
        ):
            if keys & marks:
                return aspect
        return "other" if self.path else "item"

    def words(self) -> str:
        zh, en = SECTION_WORDS[self.section]
        where = " › ".join(self.path)
        head = f"{zh} {en} {self.ident}" + (f"（{self.name}）" if self.name else "") + (f": {where}" if where else "")
        if self.kind == "added":
            return f"+ 新增 added {head}" + (f" = {_show(self.new)}" if self.path else "")
        if self.kind == "removed":
            return f"- 删除 removed {head}" + (f" (was {_show(self.old)})" if self.path else "")
        return f"~ 修改 changed {head}: {_show(self.old)} → {_show(self.new)}"

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "section": self.section,
            "id": self.ident,
            "path": self.path,
            "aspect": self.aspect,
            "old": self.old,
            "new": self.new,
            "text": self.words(),
        }


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else repr(value)
    return text if len(text) <= 160 else text[:157] + "..."


def _plain(value: Any) -> Any:
    """A model as plain data: expressions as their text, dates as ISO text."""
    if hasattr(value, "model_dump"):
        return _plain(value.model_dump(by_alias=True, exclude_none=True))
    if isinstance(value, Expression):
        return value.text
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _key(item: Any) -> str | None:
    if isinstance(item, dict) and isinstance(item.get("id"), str):
        return item["id"]
    if isinstance(item, dict) and "from" in item:
        return f"from {item['from']}"
    return None


def _walk(old: Any, new: Any, path: list[str]) -> Iterator[tuple[str, list[str], Any, Any]]:
    if isinstance(old, dict) and isinstance(new, dict):
        for k in [*old, *(k for k in new if k not in old)]:
            if k not in new:
                yield "removed", [*path, str(k)], old[k], None
            elif k not in old:
                yield "added", [*path, str(k)], None, new[k]
            else:
                yield from _walk(old[k], new[k], [*path, str(k)])
        return
    if isinstance(old, list) and isinstance(new, list):
        keys_old, keys_new = [_key(i) for i in old], [_key(i) for i in new]
        if None not in keys_old + keys_new and len(set(keys_old)) == len(old) and len(set(keys_new)) == len(new):
            yield from _walk(dict(zip(keys_old, old)), dict(zip(keys_new, new)), path)
            return
        if len(old) == len(new):
            for n, (a, b) in enumerate(zip(old, new)):
                yield from _walk(a, b, [*path, f"#{n + 1}"])
            return
    if old != new:
        yield "changed", path, old, new


def _items(pack: RulePack) -> dict[str, dict[str, Any]]:
    return {
        "parameters": {k: _plain(v) for k, v in pack.parameters.items()},
        "derived": {k: _plain(v) for k, v in pack.derived.items()},
        "scorecards": {k: _plain(v) for k, v in pack.scorecards.items()},
        "policies": {k: {f"from {v.valid_from}": _plain(v) for v in versions} for k, versions in pack.policies.items()},
        "exclusive": {k: _plain(v) for k, v in pack.exclusive.items()},
    }


def structural_diff(old: RulePack, new: RulePack) -> list[Change]:
    """Every difference between the two packs' models, in reading order."""
    changes: list[Change] = []
    a, b = _items(old), _items(new)
    for section in SECTION_WORDS:
        for ident in [*a[section], *(k for k in b[section] if k not in a[section])]:
            name = _label_zh(new if ident in b[section] else old, ident) if section != "exclusive" else ""
            if ident not in b[section]:
                changes.append(Change("removed", section, ident, [], a[section][ident], None, name))
            elif ident not in a[section]:
                changes.append(Change("added", section, ident, [], None, b[section][ident], name))
            else:
                changes += [
                    Change(kind, section, ident, path, o, n, name)
                    for kind, path, o, n in _walk(a[section][ident], b[section][ident], [])
                ]
    return changes


def _label_zh(pack: RulePack, ident: str) -> str:
    zh, _ = pack.label(ident)
    return "" if zh == ident else zh


# --- populations -----------------------------------------------------------------------


@dataclass
class Population:
    source: str
    profiles: list[EnterpriseProfile]
    rows: list[int]  # input row number of each evaluated row (1-based)
    labels: list[str]  # how a row is named in reports
    rejected: list[dict[str, Any]] = field(default_factory=list)  # {row, issues}
    total: int = 0
    columns: dict[str, Vec] | None = None  # the evaluated rows as columns (built from profiles if absent)
    parse_row: Callable[[int], EnterpriseProfile] | None = None  # one row's profile, when profiles are not kept

    def __len__(self) -> int:
        return len(self.rows)

    def profile(self, n: int) -> EnterpriseProfile:
        return self.profiles[n] if self.profiles else self.parse_row(n)  # type: ignore[misc]

    def as_columns(self) -> dict[str, Vec]:
        if self.columns is None:
            self.columns = columns_from_profiles(self.profiles)
        return self.columns


def _json_rows(path: Path) -> list[Any]:
    """A JSON profile or list of profiles (the API's own format)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise DiffInputError(f"{path}: file not found", f"{path}：文件不存在") from None
    except UnicodeDecodeError:
        raise DiffInputError(f"{path}: not UTF-8 text", f"{path}：不是 UTF-8 编码的文本") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise DiffInputError(f"{path}:{e.lineno}: invalid JSON: {e.msg}", f"{path}:{e.lineno}：JSON 格式错误") from None
    return data if isinstance(data, list) else [data]


def _table_population(path: Path) -> Population:
    """A CSV, workbook or Parquet table read by the one table reader `ipcheck screen` uses
    (engine.batch.tabular: encodings, headers with units and synonyms, 真/假, `称号|级别; …` titles).
    Rows are numbered from 1 (the first applicant); an unknown column stops the diff, as a typo would
    otherwise silently leave a fact unknown for every firm."""
    try:
        chunks = list(read_chunks(path))
    except TableError as e:
        raise DiffInputError(e.en, e.zh) from None
    reader = ChunkReader(chunks[0][0] if chunks else [])
    if reader.header_issues:
        raise DiffInputError(
            f"{path}: unknown columns: " + "; ".join(i.message_en for i in reader.header_issues),
            f"{path}：未知的列：" + "；".join(i.message_zh for i in reader.header_issues),
        )
    pop = Population(source=str(path), profiles=[], rows=[], labels=[])
    for _, table in chunks:
        chunk = reader.prepare(table, first_row=pop.total + 1)
        for issue in chunk.issues:
            _reject(pop, int(issue.row or 0), [f"{issue.field}: {issue.message_zh} / {issue.message_en}"])
        for row in np.flatnonzero(chunk.valid).tolist():
            raw = {name: raw_cell(name, texts[row].as_py()) for name, texts in chunk.texts.items()}
            _add(pop, chunk.first_row + row, {k: v for k, v in raw.items() if v is not None})
        pop.total += chunk.n
    pop.rejected.sort(key=lambda r: r["row"])
    return pop


def _reject(pop: Population, row: int, issues: list[str]) -> None:
    if pop.rejected and pop.rejected[-1]["row"] == row:
        pop.rejected[-1]["issues"] += issues
    else:
        pop.rejected.append({"row": row, "issues": issues})


def _add(pop: Population, n: int, raw: Any) -> None:
    """Validate one row into the population (kept in `rejected` with its issues if it fails)."""
    try:
        profile = parse_profile(raw)
    except ProfileInputError as e:
        _reject(pop, n, [f"{i.field}: {i.message_zh} / {i.message_en}" for i in e.issues])
        return
    pop.profiles.append(profile)
    pop.rows.append(n)
    pop.labels.append(
        f"#{n}"
        + (f" {profile.name}" if profile.name else "")
        + (f" ({profile.credit_code})" if profile.credit_code else "")
    )


def make_population(raw_rows: list[Any], source: str) -> Population:
    """Validate every row; rows that fail are kept in `rejected` with their issues, never dropped silently."""
    pop = Population(source=source, profiles=[], rows=[], labels=[], total=len(raw_rows))
    for n, raw in enumerate(raw_rows, start=1):
        _add(pop, n, raw)
    return pop


def read_population(path: Path) -> Population:
    """Applicants from a table (CSV, XLSX, Parquet) as screening reads it, or else a JSON file of profiles."""
    if path.suffix.lower() in SUPPORTED:
        return _table_population(path)
    return make_population(_json_rows(path), str(path))


def generate_population(size: int = 1000, seed: int = 7) -> Population:
    """The project's synthetic applicants (engine.batch.generate), validated column-wise as `ipcheck screen` reads them."""
    table = pa.table(generate_arrow(size, seed))
    chunk = ChunkReader(COLUMNS).prepare(table, first_row=1)  # row numbers 1..size
    keep = np.flatnonzero(chunk.valid)
    rejected: dict[int, list[str]] = {}
    for issue in chunk.issues:
        rejected.setdefault(int(issue.row or 0), []).append(f"{issue.field}: {issue.message_zh} / {issue.message_en}")
    texts = chunk.texts

    def parse_row(n: int) -> EnterpriseProfile:
        row = int(keep[n])
        raw = {name: raw_cell(name, texts[name][row].as_py()) for name in texts}
        return parse_profile({k: v for k, v in raw.items() if v is not None})

    names, codes = texts["name"].to_pylist(), texts["credit_code"].to_pylist()
    return Population(
        source=f"generated (size {size}, seed {seed})",
        profiles=[],
        rows=[int(r) + 1 for r in keep],
        labels=[
            f"#{r + 1}" + (f" {names[r]}" if names[r] else "") + (f" ({codes[r]})" if codes[r] else "")
            for r in keep.tolist()
        ],
        rejected=[{"row": r, "issues": rejected[r]} for r in sorted(rejected)],
        total=size,
        columns={
            k: Vec(v.kind, np.asarray(v.value)[keep], np.asarray(v.known)[keep]) for k, v in chunk.columns.items()
        },
        parse_row=parse_row,
    )


# --- evaluation ---------------------------------------------------------------------------


@dataclass
class PopulationResult:
    """Columns over the rows of a population (object arrays of text)."""

    status: dict[str, np.ndarray]  # policy -> eligible / ineligible / undetermined / not_in_force
    leaves: dict[
        str, dict[str, np.ndarray]
    ]  # policy -> leaf condition id -> met / unmet / unknown (absent if not in force)
    amount: dict[str, np.ndarray]  # policy -> total benefit amount (万元) granted to the row
    up_to: dict[str, np.ndarray] = field(default_factory=dict)  # policy -> "up to N" ceilings (万元), apart


_LEAF_STATE = np.array(["met", "unknown", "unmet"], dtype=object)  # by engine.batch.vectorized's MET, UNKNOWN, UNMET


def evaluate_population(
    pack: RulePack, population: Population | list[EnterpriseProfile], as_of: date
) -> PopulationResult:
    """Every policy, and each of its leaf conditions, over every row, with the vectorised evaluator."""
    if isinstance(population, list):
        columns, rows = columns_from_profiles(population), len(population)
    else:
        columns, rows = population.as_columns(), len(population)
    result = evaluate_columns(pack, as_of, columns, rows)
    status = {p: np.full(rows, NOT_IN_FORCE, dtype=object) for p in pack.policies}
    amount = {p: np.zeros(rows) for p in pack.policies}
    up_to: dict[str, np.ndarray] = {}
    leaves: dict[str, dict[str, np.ndarray]] = {p: {} for p in pack.policies}
    for ident, cols in result.policies.items():
        status[ident] = cols.status()
        leaves[ident] = {leaf: _LEAF_STATE[cols.nodes[leaf]] for leaf in cols.leaves}
        if cols.amount is not None:
            amount[ident] = np.where(cols.amount.known, numeric(cols.amount), 0.0)
        if cols.up_to is not None:
            up_to[ident] = np.where(cols.up_to.known, numeric(cols.up_to), 0.0)
    return PopulationResult(status=status, leaves=leaves, amount=amount, up_to=up_to)


# --- population diff ------------------------------------------------------------------------


@dataclass
class PolicyFlips:
    policy: str
    title: dict[str, str]
    before: dict[str, int]
    after: dict[str, int]
    transitions: dict[str, int]  # "eligible→ineligible" -> rows
    conditions: list[dict[str, Any]]  # leaf id, label, rows whose status of that leaf changed
    examples: list[dict[str, Any]]
    amount_before: float
    amount_after: float
    up_to_before: float = 0.0  # totals of "up to N" ceilings: never added to the amounts
    up_to_after: float = 0.0

    @property
    def flipped(self) -> int:
        return sum(self.transitions.values())


def _condition_labels(pack: RulePack, policy: str, as_of: date) -> dict[str, dict[str, str]]:
    version = pack.policy_on(policy, as_of) if policy in pack.policies else None
    if version is None:
        return {}
    return {
        ident: {
            "zh": c.label.zh if c.label else ident,
            "en": c.label.en if c.label else ident,
            "when": c.when.text if c.when else "",
        }
        for ident, c in walk_conditions(version.conditions, version.conditions.id or "conditions")
    }


def population_diff(
    old_pack: RulePack, new_pack: RulePack, pop: Population, as_of: date, max_examples: int = 5
) -> list[PolicyFlips]:
    before = evaluate_population(old_pack, pop, as_of)
    after = evaluate_population(new_pack, pop, as_of)
    rows = len(pop)
    absent = np.full(rows, "", dtype=object)
    out = []
    for policy in [*old_pack.policies, *(p for p in new_pack.policies if p not in old_pack.policies)]:
        old = before.status.get(policy, np.full(rows, NOT_IN_FORCE, dtype=object))
        new = after.status.get(policy, np.full(rows, NOT_IN_FORCE, dtype=object))
        flipped = np.flatnonzero(old != new).tolist()
        leaf_old, leaf_new = before.leaves.get(policy, {}), after.leaves.get(policy, {})
        every_leaf = [*leaf_old, *(k for k in leaf_new if k not in leaf_old)]
        moved = {leaf: leaf_old.get(leaf, absent) != leaf_new.get(leaf, absent) for leaf in every_leaf}
        # A flip into or out of "not in force" is due to the policy's period, not to its conditions.
        period = (old == NOT_IN_FORCE) | (new == NOT_IN_FORCE)
        changed = {n: [IN_FORCE] if period[n] else [leaf for leaf in every_leaf if moved[leaf][n]] for n in flipped}
        labels = (
            _condition_labels(old_pack, policy, as_of)
            | _condition_labels(new_pack, policy, as_of)
            | {
                IN_FORCE: {
                    "zh": "政策生效期（新增、删除或起止日期变化）",
                    "en": "policy period (added, removed or dates changed)",
                    "when": "",
                }
            }
        )
        counts = Counter(leaf for n in flipped for leaf in changed[n])
        title = (new_pack.policies.get(policy) or old_pack.policies[policy])[0].title
        out.append(
            PolicyFlips(
                policy=policy,
                title={"zh": title.zh, "en": title.en},
                before=dict(Counter(old.tolist())),
                after=dict(Counter(new.tolist())),
                transitions=dict(Counter(f"{old[n]}→{new[n]}" for n in flipped)),
                conditions=[
                    {"id": leaf, "rows": count, **labels.get(leaf, {"zh": leaf, "en": leaf, "when": ""})}
                    for leaf, count in counts.most_common()
                ],
                examples=[
                    _example(old_pack, new_pack, pop, n, policy, as_of, changed[n], leaf_old, leaf_new)
                    for n in flipped[:max_examples]
                ],
                amount_before=sum(before.amount.get(policy, np.zeros(rows)).tolist()),
                amount_after=sum(after.amount.get(policy, np.zeros(rows)).tolist()),
                up_to_before=sum(before.up_to.get(policy, np.zeros(rows)).tolist()),
                up_to_after=sum(after.up_to.get(policy, np.zeros(rows)).tolist()),
            )
        )
    return out


def _example(
    old_pack: RulePack,
    new_pack: RulePack,
    pop: Population,
    n: int,
    policy: str,
    as_of: date,
    leaves: list[str],
    leaf_old: dict[str, np.ndarray],
    leaf_new: dict[str, np.ndarray],
) -> dict[str, Any]:
    """One flipped row with the conditions that changed and the new decision's reasons in words."""
    profile = pop.profile(n)
    decision = next((d for d in evaluate(profile, new_pack, as_of).decisions if d.id == policy), None)
    before = next((d for d in evaluate(profile, old_pack, as_of).decisions if d.id == policy), None)
    in_force = {True: "in force", False: NOT_IN_FORCE}
    absent = [""] * len(pop.rows)
    return {
        "row": pop.rows[n],
        "label": pop.labels[n],
        "old": before.status if before else NOT_IN_FORCE,
        "new": decision.status if decision else NOT_IN_FORCE,
        "conditions": [
            {"id": leaf, "old": in_force[before is not None], "new": in_force[decision is not None]}
            if leaf == IN_FORCE
            else {"id": leaf, "old": leaf_old.get(leaf, absent)[n] or "-", "new": leaf_new.get(leaf, absent)[n] or "-"}
            for leaf in leaves
        ],
        "reason_before": before.reasons.model_dump() if before else None,
        "reason_after": decision.reasons.model_dump() if decision else None,
    }


# --- the report -----------------------------------------------------------------------------


@dataclass
class DiffReport:
    old: str
    new: str
    old_hash: str
    new_hash: str
    as_of: date
    changes: list[Change]
    population: Population
    policies: list[PolicyFlips]
    lint: list[Finding] = field(default_factory=list)  # static findings of NEW

    def as_json(self) -> dict[str, Any]:
        pop = self.population
        return {
            "old": {"rules": self.old, "hash": self.old_hash},
            "new": {"rules": self.new, "hash": self.new_hash},
            "as_of": self.as_of.isoformat(),
            "changes": [c.as_json() for c in self.changes],
            "population": {"source": pop.source, "rows": pop.total, "evaluated": len(pop), "rejected": pop.rejected},
            "policies": [
                {**vars(p), "flipped": p.flipped, "amount_change": p.amount_after - p.amount_before}
                for p in self.policies
            ],
            "lint": [vars(f) for f in self.lint],
        }

    def shown(self, everything: bool = False) -> list[PolicyFlips]:
        """The policies a reader needs: those whose rules changed or whose applicants flip (all with --all)."""
        touched = {c.ident for c in self.changes if c.section == "policies"}
        return [p for p in self.policies if everything or p.flipped or p.policy in touched]

    def summary(self, lang: str = "zh") -> list[str]:
        """What changed, how many applicants flip each way, the change in benefits: the report's first lines."""
        w = WORDS[lang]
        moves: Counter[str] = Counter()
        for p in self.policies:
            moves.update(p.transitions)
        budget = sum(p.amount_after - p.amount_before for p in self.policies)
        counts = Counter(f.severity for f in self.lint)
        lines = [w["changes"].format(n=len(self.changes))]
        lines += [f"  {c.words()}" for c in self.changes[:10]]
        if len(self.changes) > 10:
            lines.append("  " + w["more"].format(n=len(self.changes) - 10))
        flips = w["sep"].join(w["flip"].format(move=flip_words(m, lang), n=n) for m, n in moves.most_common())
        lines.append(
            w["applicants"].format(
                total=len(self.population),
                n=sum(moves.values()),
                flips=f"（{flips}）" if flips and lang == "zh" else f" ({flips})" if flips else "",
            )
        )
        lines.append(w["budget"].format(change=budget))
        lines.append(w["lint"].format(e=counts["error"], w=counts["warning"], i=counts["info"]))
        return lines

    def text(self, lang: str = "zh", everything: bool = False) -> str:
        w, pop = WORDS[lang], self.population
        lines = [
            w["title"].format(
                old=self.old, old_hash=self.old_hash, new=self.new, new_hash=self.new_hash, day=self.as_of
            ),
            "",
            w["summary"],
            *[f"  {x}" for x in self.summary(lang)],
        ]
        shown = self.shown(everything)
        for p in shown:
            lines += [""] + _policy_text(p, lang)
        if len(shown) < len(self.policies):
            lines += ["", w["hidden"].format(n=len(self.policies) - len(shown))]
        if self.lint:
            lines += ["", w["lint_head"], *[f"  {f}" for f in self.lint]]
        lines += ["", w["population"].format(source=pop.source, total=pop.total, n=len(pop), bad=len(pop.rejected))]
        for bad in pop.rejected[:10]:
            lines.append("  " + w["row"].format(row=bad["row"]) + "; ".join(bad["issues"]))
        if len(pop.rejected) > 10:
            lines.append("  " + w["more"].format(n=len(pop.rejected) - 10))
        return "\n".join(lines)


WORDS = {
    "zh": {
        "title": "规则差异：{old}（{old_hash}）→ {new}（{new_hash}），评估日期 {day}",
        "summary": "摘要",
        "changes": "规则变化 {n} 处",
        "more": "……另有 {n} 处",
        "sep": "，",
        "flip": "{move} {n} 户",
        "applicants": "申请人 {total} 户中结论变化 {n} 户{flips}",
        "budget": "补助总额变化 {change:+,.2f} 万元",
        "lint": "新规则静态检查：{e} 个错误，{w} 个警告，{i} 个提示",
        "hidden": "其余 {n} 项政策无变化（--all 显示全部）",
        "lint_head": "新规则静态检查结果",
        "row": "第 {row} 行：",
        "population": "申请人来源：{source}，共 {total} 行，已评估 {n} 行，无效 {bad} 行",
        "policy": "政策 {id} {title}",
        "before": "变更前",
        "after": "变更后",
        "none": "无申请人结论变化",
        "why": "起作用的条件",
        "rows": "{n} 户",
        "examples": "示例",
        "was": "原",
        "now": "现",
        "total": "补助总额 {a} → {b}（变化 {c:+,.2f} 万元）",
        "colon": "：",
    },
    "en": {
        "title": "Rule diff: {old} ({old_hash}) → {new} ({new_hash}), as of {day}",
        "summary": "Summary",
        "changes": "{n} rule change(s)",
        "more": "…and {n} more",
        "sep": ", ",
        "flip": "{move} {n}",
        "applicants": "{n} of {total} applicants change status{flips}",
        "budget": "total benefit change {change:+,.2f} 万元",
        "lint": "lint of the new rules: {e} error(s), {w} warning(s), {i} note(s)",
        "hidden": "{n} other policies unchanged (--all shows them)",
        "lint_head": "Lint of the new rules",
        "row": "row {row}: ",
        "population": "Applicants: {source}: {total} rows, {n} evaluated, {bad} rejected",
        "policy": "Policy {id} {title}",
        "before": "before",
        "after": "after",
        "none": "no applicant changes status",
        "why": "conditions responsible",
        "rows": "{n} rows",
        "examples": "examples",
        "was": "before",
        "now": "now",
        "total": "total benefit {a} → {b} (change {c:+,.2f} 万元)",
        "colon": ": ",
    },
}
CHECK_WORDS = {
    "zh": {"met": "满足", "unmet": "不满足", "unknown": "缺信息", NOT_IN_FORCE: "未生效", "in force": "生效"},
    "en": {"met": "met", "unmet": "unmet", "unknown": "unknown"},
}
STATUS_EN = {
    "eligible": "eligible",
    "ineligible": "ineligible",
    "undetermined": "undetermined",
    "error": "error",
    NOT_IN_FORCE: "not in force",
}


def status_word(status: str, lang: str) -> str:
    return (STATUS_ZH if lang == "zh" else STATUS_EN).get(status, status)


def flip_words(move: str, lang: str = "zh") -> str:
    """'ineligible→eligible' as '不符合→符合' (or in English)."""
    a, b = move.split("→")
    return f"{status_word(a, lang)}→{status_word(b, lang)}"


def _money(value: float) -> str:
    return f"{value:,.2f} 万元"


def _policy_text(p: PolicyFlips, lang: str = "zh") -> list[str]:
    w = WORDS[lang]
    counts = lambda c: w["sep"].join(f"{status_word(s, lang)} {c[s]}" for s in STATUS_ZH if c.get(s))  # noqa: E731
    lines = [
        w["policy"].format(id=p.policy, title=p.title[lang]),
        f"  {w['before']}{w['colon']}{counts(p.before)}",
        f"  {w['after']}{w['colon']}{counts(p.after)}",
    ]
    if not p.flipped:
        lines.append("  " + w["none"])
    for move, rows in sorted(p.transitions.items(), key=lambda kv: -kv[1]):
        lines.append(f"  {flip_words(move, lang)}{w['colon']}{w['rows'].format(n=rows)}")
    if p.conditions:
        lines.append(f"  {w['why']}{w['colon']}")
        lines += [f"    {c[lang]}（{c['id']}）{w['colon']}{w['rows'].format(n=c['rows'])}" for c in p.conditions]
    if p.examples:
        lines.append(f"  {w['examples']}{w['colon']}")
        for ex in p.examples:
            lines.append(f"    {ex['label']}{w['colon']}{flip_words(ex['old'] + '→' + ex['new'], lang)}")
            for key, word in (("reason_before", w["was"]), ("reason_after", w["now"])):
                if ex[key]:
                    lines.append(f"      {word}{w['colon']}{ex[key][lang]}")
    lines.append(
        "  "
        + w["total"].format(a=_money(p.amount_before), b=_money(p.amount_after), c=p.amount_after - p.amount_before)
    )
    if p.up_to_before or p.up_to_after:
        lines.append(
            f"  最高可达（上限合计，非确定金额）/ ceilings, not amounts: {_money(p.up_to_before)} → "
            f"{_money(p.up_to_after)}"
        )
    return lines


def build_report(
    old_spec: str,
    new_spec: str,
    old_pack: RulePack,
    new_pack: RulePack,
    pop: Population,
    as_of: date,
    max_examples: int = 5,
) -> DiffReport:
    return DiffReport(
        old=old_spec,
        new=new_spec,
        old_hash=old_pack.hash,
        new_hash=new_pack.hash,
        as_of=as_of,
        changes=structural_diff(old_pack, new_pack),
        population=pop,
        policies=population_diff(old_pack, new_pack, pop, as_of, max_examples),
        lint=lint_pack(new_pack),
    )


HTML_WORDS = {
    "zh": {
        "title": "规则差异报告",
        "status": "结论",
        "flip": "结论变化",
        "applicant": "申请人",
        "conditions": "变化的条件",
        "reasons": "现结论原因",
        "condition": "条件",
        "rows": "户数",
        "lint": "新规则静态检查",
        "where": "位置",
        "severity": "级别",
        "message": "说明",
        "rejected": "无效的申请人行",
        "row": "行",
        "issues": "问题",
        "changes": "规则变化明细",
        "item": "项目",
        "old": "原值",
        "new": "新值",
        "none": "（无）",
        "printed": "打印或另存为 PDF 即可存档",
    },
    "en": {
        "title": "Rule diff report",
        "status": "status",
        "flip": "change",
        "applicant": "applicant",
        "conditions": "conditions that changed",
        "reasons": "reasons now",
        "condition": "condition",
        "rows": "rows",
        "lint": "Lint of the new rules",
        "where": "where",
        "severity": "severity",
        "message": "message",
        "rejected": "Rejected applicant rows",
        "row": "row",
        "issues": "issues",
        "changes": "Rule changes",
        "item": "item",
        "old": "old",
        "new": "new",
        "none": "(none)",
        "printed": "Print or save as PDF to keep",
    },
}
STYLE = """
:root{--ink:#1f2933;--muted:#5f6b7a;--line:#d9dee5;--accent:#0b5cad;--up:#1a7f37;--down:#b42318}
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;color:var(--ink);
margin:0 auto;max-width:64rem;padding:1.5rem;line-height:1.55}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.2rem;margin:1.6rem 0 .4rem;border-bottom:2px solid var(--line)}
.meta{color:var(--muted);font-size:.9rem}.summary{background:#f3f6fa;border-left:4px solid var(--accent);
padding:.8rem 1.2rem;margin:1rem 0}.summary li{margin:.2rem 0}
table{border-collapse:collapse;width:100%;margin:.5rem 0;font-size:.92rem}
th,td{border:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}th{background:#f7f8fa}
.flip{font-weight:600}.up{color:var(--up)}.down{color:var(--down)}code{font-size:.85em;color:var(--muted)}
details{margin:.6rem 0}summary{cursor:pointer;color:var(--accent)}section{break-inside:avoid}
.scroll{overflow-x:auto}.scroll table{min-width:36rem}
@media (max-width:600px){body{padding:.8rem}table{font-size:.8rem}th,td{padding:.25rem}}
@media print{body{max-width:none;padding:0}details{display:block}summary{display:none}
a{color:inherit;text-decoration:none}.noprint{display:none}}
"""


def render_html(report: DiffReport, lang: str = "zh", everything: bool = False) -> str:
    """A self-contained, printable HTML page of the report (no scripts, every value escaped); summary first."""
    e, w, h = html.escape, WORDS[lang], HTML_WORDS[lang]
    parts = [
        f"<h1>{h['title']}</h1><p class=meta>{e(report.old)} <code>{e(report.old_hash)}</code> → "
        f"{e(report.new)} <code>{e(report.new_hash)}</code> · {report.as_of} · "
        f"<span class=noprint>{h['printed']}</span></p>",
        f"<div class=summary><strong>{w['summary']}</strong><ul>"
        + "".join(f"<li>{e(line.strip())}</li>" for line in report.summary(lang))
        + "</ul></div>",
    ]
    shown = report.shown(everything)
    for p in shown:
        parts.append(f"<section><h2>{e(p.title[lang])} <code>{e(p.policy)}</code></h2>")
        parts.append(
            _table(
                [h["status"], w["before"], w["after"]],
                [
                    [status_word(s, lang), p.before.get(s, 0), p.after.get(s, 0)]
                    for s in STATUS_ZH
                    if p.before.get(s) or p.after.get(s)
                ],
                h["none"],
            )
        )
        if p.transitions:
            parts.append(
                "<p>"
                + "；".join(
                    f"<span class='flip {_direction(m)}'>{e(flip_words(m, lang))}</span> {e(w['rows'].format(n=n))}"
                    for m, n in p.transitions.items()
                )
                + "</p>"
            )
        parts.append(_table([w["why"], h["rows"]], [[f"{c[lang]}", c["rows"]] for c in p.conditions], h["none"]))
        if p.examples:
            label = {c["id"]: c[lang] for c in p.conditions}
            state = lambda v: CHECK_WORDS[lang].get(v, v)  # noqa: E731
            parts.append(
                "<div class=scroll>"
                + _table(
                    [h["applicant"], h["flip"], h["conditions"], h["reasons"]],
                    [
                        [
                            x["label"],
                            flip_words(f"{x['old']}→{x['new']}", lang),
                            "；".join(
                                f"{label.get(c['id'], c['id'])}：{state(c['old'])}→{state(c['new'])}"
                                for c in x["conditions"]
                            ),
                            (x["reason_after"] or {}).get(lang, ""),
                        ]
                        for x in p.examples
                    ],
                    h["none"],
                )
                + "</div>"
            )
        parts.append(
            f"<p>{e(w['total'].format(a=_money(p.amount_before), b=_money(p.amount_after), c=p.amount_after - p.amount_before))}</p></section>"
        )
    if len(shown) < len(report.policies):
        parts.append(f"<p class=meta>{e(w['hidden'].format(n=len(report.policies) - len(shown)))}</p>")
    parts.append(
        f"<details><summary>{h['changes']}（{len(report.changes)}）</summary>"
        + _table(
            ["", h["item"], h["where"], h["old"], h["new"]],
            [
                [
                    c.kind,
                    f"{SECTION_WORDS[c.section][0 if lang == 'zh' else 1]} {c.ident}",
                    " › ".join(c.path),
                    _show(c.old) if c.old is not None else "",
                    _show(c.new) if c.new is not None else "",
                ]
                for c in report.changes
            ],
            h["none"],
        )
        + "</details>"
    )
    parts.append(
        f"<details><summary>{h['lint']}（{len(report.lint)}）</summary>"
        + _table(
            [h["where"], h["severity"], h["message"]],
            [[f"{Path(f.file).name}:{f.line or 1}", f.severity, f.zh if lang == "zh" else f.en] for f in report.lint],
            h["none"],
        )
        + "</details>"
    )
    pop = report.population
    if pop.rejected:
        parts.append(
            f"<details><summary>{h['rejected']}（{len(pop.rejected)}）</summary>"
            + _table([h["row"], h["issues"]], [[r["row"], "; ".join(r["issues"])] for r in pop.rejected])
            + "</details>"
        )
    return (
        f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f'<meta name=viewport content="width=device-width,initial-scale=1"><title>{h["title"]}</title>'
        f"<style>{STYLE}</style></head><body>{''.join(parts)}</body></html>\n"
    )


def _direction(move: str) -> str:
    a, b = move.split("→")
    return "up" if b == "eligible" else "down" if a == "eligible" else ""


def _table(head: list[str], rows: list[list[Any]], none: str = "（无 / none）") -> str:
    if not rows:
        return f"<p>{html.escape(none)}</p>"
    cells = lambda row, tag: "".join(f"<{tag}>{html.escape(str(v))}</{tag}>" for v in row)  # noqa: E731
    return (
        "<table><tr>"
        + cells(head, "th")
        + "</tr>"
        + "".join("<tr>" + cells(r, "td") + "</tr>" for r in rows)
        + "</table>"
    )


def write_xlsx(report: DiffReport, path: Path) -> None:
    """The report as a workbook: one sheet each for changes, policies, conditions, examples, rejected rows."""
    import pandas as pd  # only this output needs pandas and XlsxWriter

    sheets = {
        "changes": pd.DataFrame(
            [
                {k: v if not isinstance(v, (dict, list)) else _show(v) for k, v in c.as_json().items()}
                for c in report.changes
            ],
            columns=["kind", "section", "id", "path", "aspect", "old", "new", "text"],
        ),
        "policies": pd.DataFrame(
            [
                {
                    "policy": p.policy,
                    "title_zh": p.title["zh"],
                    "flipped": p.flipped,
                    **{f"before_{s}": p.before.get(s, 0) for s in STATUS_ZH},
                    **{f"after_{s}": p.after.get(s, 0) for s in STATUS_ZH},
                    **{f"flip {m}": n for m, n in p.transitions.items()},
                    "amount_before": p.amount_before,
                    "amount_after": p.amount_after,
                    "amount_change": p.amount_after - p.amount_before,
                }
                for p in report.policies
            ]
        ),
        "conditions": pd.DataFrame(
            [{"policy": p.policy, **c} for p in report.policies for c in p.conditions],
            columns=["policy", "id", "rows", "zh", "en", "when"],
        ),
        "examples": pd.DataFrame(
            [
                {
                    "policy": p.policy,
                    "row": x["row"],
                    "applicant": x["label"],
                    "old": x["old"],
                    "new": x["new"],
                    "conditions": "; ".join(f"{c['id']} {c['old']}→{c['new']}" for c in x["conditions"]),
                    "reasons_now": (x["reason_after"] or {}).get("zh", ""),
                }
                for p in report.policies
                for x in p.examples
            ]
        ),
        "rejected": pd.DataFrame(
            [{"row": r["row"], "issues": "; ".join(r["issues"])} for r in report.population.rejected],
            columns=["row", "issues"],
        ),
    }
    with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
