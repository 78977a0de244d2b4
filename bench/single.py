"""Single-profile evaluations per second: ipcheck's evaluators and the durable-rules oracle.

Both run on the same pack and the same generated profiles (engine.authoring.boundaries: values
around every threshold the policies read, some facts missing), one profile at a time,
in one process. The evaluator builds a full assessment with rationale; the oracle only
decides statuses, so the comparison favours durable-rules. Compiling the durable-rules
ruleset is timed separately. The two must agree on every profile, and the script says
whether they did.

    python bench/single.py [-n 2000] [--rules rules/] [--seed 1] [--ipcheck-only] [--quick]

Also timed on the same profiles, in CPU time per profile: the status-only evaluator
(engine/evaluate/status.py) on the whole pack (target ≤ 300 µs) and on the two policies 中小企业划型
(enterprise_size) + 专精特新 (specialized_sme) with what they read (target ≤ 50 µs), with the count
of profiles on which its statuses agree with the explaining evaluator's; and, when the optional
`peers` extra is installed, GoRules zen-engine on a JDM model of the same two policies
(bench/zen_model.py), with its agreement count and the ratio, and what zen-engine costs per call whatever the
model (a decision of one comparison on the same inputs: from zen-engine 0.38.4 on, its Python binding costs
about 30x what 0.37 did, gorules/zen#441).
With --ipcheck-only, durable-rules is left out and ipcheck is timed three ways: the assessment,
with the IP-strength section, and with improvements and near misses (what-if; target ≤ 5 ms CPU).
--quick: 300 profiles.

With --calls, nothing is timed: each of ipcheck's paths is counted in Python and C function calls per
profile, a figure that does not depend on the machine's speed (the shared machine's speed varies by up
to 2x within an hour, so timings cannot show a change of 10 %; the count can, and it is the same in
every run of the same code, rules and seed).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # benchmark this checkout
sys.path.insert(1, str(Path(__file__).resolve().parent))  # bench/zen_model.py

from engine.authoring.boundaries import boundaries
from engine.evaluate.evaluator import evaluate
from engine.evaluate.status import compiled
from engine.evaluate.strength import enrich
from engine.language.loader import DEFAULT_RULES, RulePack, load_pack
from engine.model.profile import EnterpriseProfile

TWO_POLICIES = ("enterprise_size", "specialized_sme")  # 中小企业划型 + 专精特新

Case = tuple[EnterpriseProfile, date]


def generate(pack: RulePack, n: int, seed: int) -> list[Case]:
    """n valid profiles with their as-of dates, drawn from the pack's boundary values."""
    cases = boundaries(pack).valid_cases(n, seed)
    days = {d for _, d in cases}
    print(
        f"{len(cases)} boundary profiles on {len(days)} as-of dates, "
        f"{len({pack.versions_on(d) for d in days})} sets of rules in force (one compilation each)"
    )
    return cases


Decide = Callable[[EnterpriseProfile, date], dict[str, str]]


def rates(engines: list[Decide], cases: list[Case], block: int = 100) -> list[tuple[float, list[Any]]]:
    """Evaluations per CPU-second of each engine over all cases, and their decisions.

    The engines take turns on blocks of `block` profiles, so a change of load on a
    shared machine affects all alike; each is warmed up first (every as-of date compiled), as a
    service is before it takes requests.
    """
    for decide in engines:
        for profile, as_of in cases:
            decide(profile, as_of)
    gc.collect()  # the warm-up's compilations and caches are kept: a full pass now, not one timed against an engine
    spent = [0.0] * len(engines)
    results: list[list[Any]] = [[] for _ in engines]
    for start in range(0, len(cases), block):
        for n, decide in enumerate(engines):
            begin = time.process_time()
            results[n] += [decide(profile, as_of) for profile, as_of in cases[start : start + block]]
            spent[n] += time.process_time() - begin
    return [(len(cases) / t, r) for t, r in zip(spent, results)]


def status_only(pack: RulePack, cases: list[Case]) -> None:
    """The status-only evaluator against the explaining one on the whole pack; then on the two policies, against
    zen-engine when installed. Each pair takes turns on the same blocks (rates), so a fast path is timed beside
    its peer, not among the explaining evaluator's garbage."""
    explaining: Decide = lambda p, d: {x.id: x.status for x in evaluate(p, pack, d).decisions}  # noqa: E731
    whole: Decide = lambda p, d: {k: o.status for k, o in compiled(pack, d).run(p).decisions.items()}  # noqa: E731
    two: Decide = lambda p, d: {  # noqa: E731
        k: o.status for k, o in compiled(pack, d).run(p, TWO_POLICIES).decisions.items() if k in TWO_POLICIES
    }
    (full, full_results), (fast, fast_results) = rates([explaining, whole], cases)
    agree = sum(a == b for a, b in zip(full_results, fast_results))
    print(f"explaining evaluator (full rationale), whole pack: {1e6 / full:8.0f} µs CPU per profile")
    print(
        f"status-only, whole pack:                          {1e6 / fast:8.0f} µs CPU per profile "
        f"(target <= 300; {fast / full:.1f}x faster); agrees on {agree}/{len(cases)} profiles"
    )
    zen = zen_peer(pack, cases)
    ((pair, pair_results), *peer) = rates([two, *([zen] if zen else [])], cases)
    agree_pair = sum({k: v for k, v in a.items() if k in TWO_POLICIES} == b for a, b in zip(full_results, pair_results))
    print(
        f"status-only, 中小企业划型 + 专精特新 and what they read: {1e6 / pair:6.0f} µs CPU per profile "
        f"(target <= 50); agrees on {agree_pair}/{len(cases)} profiles"
    )
    if peer:
        ((rate, results),) = peer
        sizes = [evaluate(p, pack, d).facts.get("enterprise_size") for p, d in cases]
        agree_zen = sum(
            (r.get("enterprise_size"), r.get("specialized_sme")) == (size, want.get("specialized_sme"))
            for r, size, want in zip(results, sizes, full_results)
        )
        print(
            f"zen-engine, the same two policies (JDM model, inputs prepared), in turn with the line above: "
            f"{1e6 / rate:6.0f} µs CPU per profile; agrees on {agree_zen}/{len(cases)} profiles; "
            f"zen-engine time / status-only time = {pair / rate:.1f}x"
        )


def zen_peer(pack: RulePack, cases: list[Case]) -> Decide | None:
    """GoRules zen-engine (Rust) on a JDM model of the same two policies (bench/zen_model.py), if installed."""
    try:
        import zen
    except ImportError:
        print("zen-engine is not installed (pip install -e '.[peers]'); the peer comparison is left out")
        return None
    from zen_model import Model, one_expression, zen_input

    engine, decisions, size = zen.ZenEngine(), {}, 0
    for _, as_of in cases:
        if as_of not in decisions:
            model = Model(pack, as_of)
            decisions[as_of], size = engine.create_decision(model.jdm()), len(model.entries)
    inputs = {id(p): zen_input(p) for p, _ in cases}  # its own input format, made beforehand
    per_call(engine.create_decision(one_expression()), list(inputs.values()), size)
    return lambda p, d: decisions[d].evaluate(inputs[id(p)])["result"]


def per_call(decision: Any, inputs: list[dict[str, Any]], size: int) -> None:
    """What zen-engine costs per call whatever the model: a decision of one comparison on the same inputs."""
    from importlib.metadata import version

    for data in inputs:
        decision.evaluate(data)
    begin = time.process_time()
    for data in inputs:
        decision.evaluate(data)
    spent = (time.process_time() - begin) / len(inputs)
    print(
        f"zen-engine {version('zen-engine')}: a decision of one comparison costs {spent * 1e6:.0f} µs CPU per call on "
        f"the same inputs (its Python binding, the input's conversion; gorules/zen#441: about 30x more from 0.38.4 "
        f"on than in 0.37); the model below has {size} expressions, each null-guarded for three-valued logic"
    )


def ipcheck_only(pack: RulePack, cases: list[Case]) -> int:
    def assess(what_if: bool | None) -> Decide:
        def decide(profile: EnterpriseProfile, as_of: date) -> dict[str, str]:
            result = evaluate(profile, pack, as_of)
            if what_if is not None:
                enrich(result, profile, pack, as_of, what_if=what_if)
            return {x.id: x.status for x in result.decisions}

        return decide

    for what, what_if in (("assessment", None), ("+ IP strength", False), ("+ what-if", True)):
        ((rate, _),) = rates([assess(what_if)], cases)
        target = "  (target <= 5 ms)" if what_if else ""
        print(
            f"ipcheck {what + ':':15s} {rate:8.0f} evaluations per CPU-second  ({1000 / rate:.2f} ms CPU each){target}"
        )
    status_only(pack, cases)
    return 0


def calls(work: Callable[[], object]) -> int:
    """Python and C function calls made by `work` (sys.setprofile sees every one; the count is exact)."""
    count = 0

    def tally(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event == "call" or event == "c_call":
            count += 1

    sys.setprofile(tally)
    try:
        work()
    finally:
        sys.setprofile(None)
    return count


def counted(pack: RulePack, cases: list[Case]) -> int:
    """Function calls per profile of each path, once every as-of date is compiled (bench --calls)."""
    from engine.evaluate.summary import summary_json

    paths: dict[str, Callable[[EnterpriseProfile, date], object]] = {
        "assessment (explaining evaluator)": lambda p, d: evaluate(p, pack, d),
        "assessment + IP strength": lambda p, d: enrich(evaluate(p, pack, d), p, pack, d, what_if=False),
        "assessment + IP strength + what-if": lambda p, d: enrich(evaluate(p, pack, d), p, pack, d, what_if=True),
        "summary (POST /v1/assess?detail=summary)": lambda p, d: summary_json(p, pack, d),
        "status-only, whole pack": lambda p, d: compiled(pack, d).run(p),
        "status-only, 中小企业划型 + 专精特新": lambda p, d: compiled(pack, d).run(p, TWO_POLICIES),
    }
    for what, path in paths.items():
        for profile, as_of in cases:  # warm up: compilations and per-date caches are not counted
            path(profile, as_of)
        total = calls(lambda: [path(profile, as_of) for profile, as_of in cases])  # noqa: B023
        print(f"{total / len(cases):9,.0f} function calls per profile: {what}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=2000, help="profiles to evaluate (default 2000)")
    parser.add_argument("--rules", type=Path, default=DEFAULT_RULES, help="rule folder (default rules/)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--ipcheck-only", action="store_true", help="time ipcheck alone, also with strength and what-if"
    )
    parser.add_argument("--quick", action="store_true", help="300 profiles")
    parser.add_argument("--calls", action="store_true", help="count function calls per profile instead of timing")
    args = parser.parse_args()
    if args.quick:
        args.n = 300
    if args.calls:
        pack = load_pack(args.rules)
        print(f"Python {platform.python_version()}, pack {pack.hash}, {args.n} profiles (seed {args.seed})")
        return counted(pack, generate(pack, args.n, args.seed))
    if args.ipcheck_only:
        pack = load_pack(args.rules)
        print(
            f"machine: {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f}), "
            f"Python {platform.python_version()}, pack {pack.hash}, {args.n} profiles"
        )
        return ipcheck_only(pack, generate(pack, args.n, args.seed))
    try:
        from tests.support.oracle import OracleEvaluator
    except ImportError:
        print(
            "durable-rules is not installed; install the oracle extra: pip install -e '.[oracle]'\n"
            "未安装 durable-rules，请安装 oracle 可选依赖",
            file=sys.stderr,
        )
        return 2
    pack = load_pack(args.rules)
    cases = generate(pack, args.n, args.seed)
    print(
        f"machine: {os.cpu_count()} cores (load average {os.getloadavg()[0]:.1f}), "
        f"Python {platform.python_version()}, pack {pack.hash}, "
        f"{args.n} profiles, {sum(len(v) for v in pack.policies.values())} policy versions"
    )

    start = time.perf_counter()
    oracle = OracleEvaluator(pack)
    print(
        f"durable-rules compile + register: {(time.perf_counter() - start) * 1000:.1f} ms; "
        f"facts precomputed by the evaluator: {sorted(oracle.compiled.precomputed) or 'none'}"
    )

    own_decide: Decide = lambda p, d: {x.id: x.status for x in evaluate(p, pack, d).decisions}  # noqa: E731
    (own, own_results), (durable, durable_results) = rates([own_decide, oracle.decide], cases)
    agree = sum(a == b for a, b in zip(own_results, durable_results))
    print(f"ipcheck evaluator (full assessment with rationale): {own:10.0f} evaluations per CPU-second")
    print(f"durable-rules oracle (statuses only):                {durable:10.0f} evaluations per CPU-second")
    print(f"ratio ipcheck / durable-rules: {own / durable:.2f}")
    print(f"agreement: {agree}/{len(cases)} profiles")
    status_only(pack, cases)
    return 0 if agree == len(cases) else 1


if __name__ == "__main__":
    sys.exit(main())
