"""How short is the interview? Generated firms (full truth known) answer every question truthfully.

For each of N firms from the project's generator (no blank cells, so every fact is known), the
interview runs from an empty profile; each step's facts are answered from the firm's complete
profile. Printed: questions until every outcome (policies, designations, IP-strength tier) equals
what the complete profile gives (mean / median / p90), the share of outcomes already equal after
5, 10 and 15 questions, questions until the interview ends, and the time to choose a step
(p50 / p95, wall and CPU time, with the load average), beside the full form's input count
measured in the same run. The expert panel's scores are left out of the truth: a firm cannot know
them, so the interview never asks them. The interview's prior (engine/evaluate/prior.py) is a
sample of generated firms of another seed: the firms benchmarked here are not in it.

    python bench/interview.py            # 1,000 firms
    python bench/interview.py --quick    # 60 firms
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine.batch.generate import REFERENCE
from engine.batch.prior import SEED as PRIOR_SEED
from engine.batch.prior import generated_profiles
from engine.evaluate.interview import (
    TIER,
    Answers,
    inputs_in,
    interview,
    outcome_ids,
    questions_answered,
    questions_in,
    statuses,
)
from engine.language.loader import RulePack, load_pack
from engine.model.profile import FIELDS, EnterpriseProfile

TARGETS = {"median": 30, "after10": 0.60, "p95_ms": 100.0}


def form_inputs() -> int:
    """Inputs of the full form: one per fact, a checkbox per title (inputs_in, as for an interview step)."""
    return inputs_in(FIELDS)


def form_questions() -> int:
    """Questions of the full form counted as the interview counts them (questions_in: the titles
    checklist is one question)."""
    return questions_in(FIELDS, none_of=False)


def simulate(profile: EnterpriseProfile, pack: RulePack, as_of: date, ids: list[str]) -> dict:
    truth = {o: v for o, (v, _) in statuses(profile, pack, as_of, ids).items()}
    full = profile.model_dump(exclude_none=True)
    answers, asked, inputs, trace, times, settled_at, decisions_at = Answers(), 0, 0, [], [], None, None
    inputs_at = None
    while True:
        start, cpu = time.perf_counter(), time.process_time()
        progress = interview(answers, pack, as_of)
        times.append((time.perf_counter() - start, time.process_time() - cpu))
        now = {o.id: o for o in progress.outcomes}
        same = {o for o in ids if _value(now[o]) == truth[o]}
        equal = len(same) / len(ids)
        trace.append((asked, equal))
        if equal == 1.0 and settled_at is None:
            settled_at, inputs_at = asked, inputs
        if decisions_at is None and same >= set(ids) - {TIER}:
            decisions_at = asked
        if progress.done:
            break
        for q in progress.step.questions:
            if q.field in full:
                answers.values[q.field] = full[q.field]
            else:
                answers.unknown.append(q.field)
        asked += questions_answered(progress.step, full)
        inputs += progress.step.inputs
    return {
        "settled_at": settled_at if settled_at is not None else asked,
        "inputs_at": inputs_at if inputs_at is not None else inputs,
        "asked": asked,
        "trace": trace,
        "decisions_at": decisions_at if decisions_at is not None else asked,
        "times": times,
        "all_equal": trace[-1][1] == 1.0,
    }


def _value(outcome) -> object:
    return (
        {"eligible": True, "ineligible": False, "undetermined": None}[outcome.status]
        if outcome.kind != "tier"
        else outcome.value
    )


def share_after(trace: list[tuple[int, float]], k: int) -> float:
    """Outcomes equal to the truth once k questions are answered (a step counts when complete)."""
    return max((equal for asked, equal in trace if asked <= k), default=0.0)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=1000, help="firms (default 1000)")
    parser.add_argument("--quick", action="store_true", help="60 firms")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    n = 60 if args.quick else args.n
    pack, as_of = load_pack(), REFERENCE
    ids = outcome_ids(pack, as_of)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
        f"Python {platform.python_version()}; pack {pack.hash}; {n} generated firms, as of {as_of}; "
        f"{len(ids)} outcomes; the prior: generated firms of seed {PRIOR_SEED}, these of seed {args.seed}"
    )
    started = time.perf_counter()
    runs = [simulate(p, pack, as_of, ids) for p in generated_profiles(n, args.seed)]
    wall = time.perf_counter() - started
    settled = [r["settled_at"] for r in runs]
    asked = [r["asked"] for r in runs]
    times = [wall * 1000 for r in runs for wall, _ in r["times"]]
    cpu = [used * 1000 for r in runs for _, used in r["times"]]
    inputs = form_inputs()
    median = statistics.median(settled)
    after = {k: statistics.mean(share_after(r["trace"], k) for r in runs) for k in (5, 10, 15)}
    p95 = pct(times, 0.95)
    print(
        f"the full form: {inputs} inputs, {form_questions()} questions (a question is one fact; a checklist, "
        f'"none of these apply" or the titles held, counts one question and one input per item)'
    )
    print(
        f"questions until every outcome equals the complete profile's: mean {statistics.mean(settled):.1f}, "
        f"median {median:.0f}, p90 {pct(settled, 0.9):.0f}  ({median / form_questions():.0%} of the form's questions; "
        f"target median <= {TARGETS['median']}: {'met' if median <= TARGETS['median'] else 'NOT met'})"
    )
    fields = [r["inputs_at"] for r in runs]
    print(
        f"input fields until then (each checklist item counted): mean {statistics.mean(fields):.1f}, "
        f"median {statistics.median(fields):.0f}, p90 {pct(fields, 0.9):.0f}  (the form: {inputs})"
    )
    decisions = [r["decisions_at"] for r in runs]
    print(
        f"questions until every policy and designation (the tier aside) equals it: mean "
        f"{statistics.mean(decisions):.1f}, median {statistics.median(decisions):.0f}, p90 {pct(decisions, 0.9):.0f}"
    )
    print(
        f"questions until the interview ends: mean {statistics.mean(asked):.1f}, median "
        f"{statistics.median(asked):.0f}, p90 {pct(asked, 0.9):.0f}; every outcome equal at the end: "
        f"{sum(r['all_equal'] for r in runs)}/{n} firms"
    )
    print(
        "share of outcomes settled after "
        + ", ".join(f"{k} questions: {v:.0%}" for k, v in after.items())
        + f"  (target >= {TARGETS['after10']:.0%} after 10: {'met' if after[10] >= TARGETS['after10'] else 'NOT met'})"
    )
    p95_cpu = pct(cpu, 0.95)
    print(
        f"time to choose a step: p50 {pct(times, 0.5):.1f} ms, p95 {p95:.1f} ms over {len(times)} steps; CPU time "
        f"p50 {pct(cpu, 0.5):.1f} ms, p95 {p95_cpu:.1f} ms (target p95 <= {TARGETS['p95_ms']:.0f} ms: "
        f"{'met' if p95 <= TARGETS['p95_ms'] else 'NOT met'}; on CPU time "
        f"{'met' if p95_cpu <= TARGETS['p95_ms'] else 'NOT met'}); wall {wall:.0f} s, load {os.getloadavg()[0]:.1f} at the end"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
