"""Single-profile evaluations per second: ipcheck's evaluator and the durable-rules oracle.

Both run on the same pack and the same generated profiles (engine.authoring.boundaries: values
around every threshold the policies read, some facts missing), one profile at a time,
in one process. The evaluator builds a full assessment with rationale; the oracle only
decides statuses, so the comparison favours durable-rules. Compiling the durable-rules
ruleset is timed separately. The two must agree on every profile, and the script says
whether they did.

    python bench/single.py [-n 2000] [--rules rules/] [--seed 1] [--ipcheck-only]

With --ipcheck-only, durable-rules is left out and ipcheck is timed three ways: the assessment,
with the IP-strength section, and with improvements and near misses (what-if).
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # benchmark this checkout

from engine.authoring.boundaries import boundaries  # noqa: E402
from engine.evaluate.evaluator import evaluate  # noqa: E402
from engine.language.loader import DEFAULT_RULES, RulePack, load_pack  # noqa: E402
from engine.model.profile import EnterpriseProfile  # noqa: E402
from engine.evaluate.strength import enrich  # noqa: E402

Case = tuple[EnterpriseProfile, date]


def generate(pack: RulePack, n: int, seed: int) -> list[Case]:
    """n valid profiles with their as-of dates, drawn from the pack's boundary values."""
    return boundaries(pack).valid_cases(n, seed)


Decide = Callable[[EnterpriseProfile, date], dict[str, str]]


def rates(engines: list[Decide], cases: list[Case], block: int = 100) -> list[tuple[float, list[Any]]]:
    """Evaluations per second of each engine over all cases, and their decisions.

    The engines take turns on blocks of `block` profiles, so a change of load on a
    shared machine affects both alike; each is warmed up first.
    """
    for decide in engines:
        for profile, as_of in cases[:20]:
            decide(profile, as_of)
    spent = [0.0] * len(engines)
    results: list[list[Any]] = [[] for _ in engines]
    for start in range(0, len(cases), block):
        for n, decide in enumerate(engines):
            begin = time.perf_counter()
            results[n] += [decide(profile, as_of) for profile, as_of in cases[start:start + block]]
            spent[n] += time.perf_counter() - begin
    return [(len(cases) / t, r) for t, r in zip(spent, results)]


def ipcheck_only(pack: RulePack, cases: list[Case]) -> int:
    def assess(what_if: bool | None) -> Decide:
        def decide(profile: EnterpriseProfile, as_of: date) -> dict[str, str]:
            result = evaluate(profile, pack, as_of)
            if what_if is not None:
                enrich(result, profile, pack, as_of, what_if=what_if)
            return {x.id: x.status for x in result.decisions}
        return decide
    for what, what_if in (("assessment", None), ("+ IP strength", False), ("+ what-if", True)):
        (rate, _), = rates([assess(what_if)], cases)
        print(f"ipcheck {what + ':':15s} {rate:8.0f} evaluations/s  ({1000 / rate:.2f} ms each)")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="profiles to evaluate (default 2000)")
    parser.add_argument("--rules", type=Path, default=DEFAULT_RULES, help="rule folder (default rules/)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--ipcheck-only", action="store_true", help="time ipcheck alone, also with strength and what-if")
    args = parser.parse_args()
    if args.ipcheck_only:
        pack = load_pack(args.rules)
        print(f"machine: {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f}), "
              f"Python {platform.python_version()}, pack {pack.hash}, {args.n} profiles")
        return ipcheck_only(pack, generate(pack, args.n, args.seed))
    try:
        from tests.support.oracle import OracleEvaluator
    except ImportError:
        print("durable-rules is not installed; install the oracle extra: pip install -e '.[oracle]'\n"
              "未安装 durable-rules，请安装 oracle 可选依赖", file=sys.stderr)
        return 2
    pack = load_pack(args.rules)
    cases = generate(pack, args.n, args.seed)
    print(f"machine: {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f}), "
          f"Python {platform.python_version()}, pack {pack.hash}, "
          f"{args.n} profiles, {sum(len(v) for v in pack.policies.values())} policy versions")

    start = time.perf_counter()
    oracle = OracleEvaluator(pack)
    print(f"durable-rules compile + register: {(time.perf_counter() - start) * 1000:.1f} ms; "
          f"facts precomputed by the evaluator: {sorted(oracle.compiled.precomputed) or 'none'}")

    own_decide: Decide = lambda p, d: {x.id: x.status for x in evaluate(p, pack, d).decisions}  # noqa: E731
    (own, own_results), (durable, durable_results) = rates([own_decide, oracle.decide], cases)
    agree = sum(a == b for a, b in zip(own_results, durable_results))
    print(f"ipcheck evaluator (full assessment with rationale): {own:10.0f} evaluations/s")
    print(f"durable-rules oracle (statuses only):                {durable:10.0f} evaluations/s")
    print(f"ratio ipcheck / durable-rules: {own / durable:.2f}")
    print(f"agreement: {agree}/{len(cases)} profiles")
    return 0 if agree == len(cases) else 1


if __name__ == "__main__":
    sys.exit(main())
