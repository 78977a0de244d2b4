"""The reload canary: a candidate pack is evaluated before it may serve.

A pack that loads (types checked) and lints clean could still fail on some firm at run time
(a product beyond the range of numbers). Before the service swaps a new pack in, it evaluates
it on the pack's own boundary profiles (engine.authoring.boundaries) and the shipped examples,
one by one and as a batch; any rule that fails refuses the pack, naming the rule's file:line.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from pathlib import Path

from engine.authoring.boundaries import boundaries
from engine.evaluate.evaluator import Evaluation
from engine.language.loader import RuleIssue, RulePack
from engine.model.profile import EnterpriseProfile, ProfileInputError, parse_profile

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CASES, SEED = 40, 12
BATCH_DAYS = 3  # the batch runs once per as-of date: on the dates with most cases
_PASSED: set[str] = set()  # pack hashes this process has already tried: a canary runs once per pack


def example_profiles(folder: Path = EXAMPLES) -> list[EnterpriseProfile]:
    """The JSON examples (one profile or a list of them); none when the folder is absent (a wheel)."""
    found = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        data = json.loads(path.read_text(encoding="utf-8"))
        for raw in data if isinstance(data, list) else [data]:
            try:
                found.append(parse_profile(raw))
            except ProfileInputError:
                continue
    return found


def cases(pack: RulePack, n: int = CASES, seed: int = SEED) -> list[tuple[EnterpriseProfile, date]]:
    drawn = boundaries(pack)
    days = drawn.as_of or [date.today()]
    examples = [(p, day) for p in example_profiles() for day in days[:BATCH_DAYS]]
    return (drawn.valid_cases(n, seed) if drawn.fields else []) + examples


def issue(pack: RulePack, ident: str, message: str, how: str) -> RuleIssue:
    file, line = pack.origin.get(ident, ("?", None))
    return RuleIssue(
        file,
        line,
        f"运行检查失败（{how}）：规则 {ident} 无法计算：{message}"
        f" / canary failed ({how}): rule {ident} cannot be computed: {message}",
    )


def canary(pack: RulePack) -> list[RuleIssue]:
    """Problems found evaluating `pack` single and batch on its boundary profiles and the examples."""
    if pack.hash in _PASSED:
        return []
    from engine.batch.vectorized import BatchEvaluation, columns_from_profiles  # numpy/pandas: only when reloading

    found: dict[str, RuleIssue] = {}
    by_day: dict[date, list[EnterpriseProfile]] = defaultdict(list)
    for profile, day in cases(pack):
        by_day[day].append(profile)
        evaluation = Evaluation(profile, pack, day)
        evaluation.quiet = True
        evaluation.run()
        for ident, message in evaluation.failures.items():
            found.setdefault(ident, issue(pack, ident, message, "逐户 / single"))
    for day, profiles in sorted(by_day.items(), key=lambda kv: -len(kv[1]))[:BATCH_DAYS]:
        batch = BatchEvaluation(pack, day, columns_from_profiles(profiles), len(profiles))
        batch.quiet = True
        for ident, message in batch.run().failures.items():
            found.setdefault(ident, issue(pack, ident, message, "批量 / batch"))
    if not found:
        _PASSED.add(pack.hash)
    return list(found.values())
