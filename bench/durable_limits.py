"""Re-measure the durable-rules limits behind docs/decisions/0001: each probe runs in a
subprocess with a timeout, so a crash or a hang is reported instead of killing this script.

    python bench/durable_limits.py [--timeout 60] [--only threads|sessions|reregister]

threads         4 threads assert facts into one ruleset without a lock (3 runs)
threads_locked  the same behind one lock, as the oracle does (3 runs)
sessions        sessions kept open at once (no delete_state), doubling up to 8192
reregister      rulesets cannot be unloaded: each new version of a pack is a new
                ruleset, and the memory it took stays
negation_only   a rule made only of a negation (-m.x) given a fact without x
alpha_stack_N   one fact matching N alpha nodes at once (N = 64, 65, 100): the alpha
                network is walked with a fixed stack of 64 nodes
"""

from __future__ import annotations

import argparse
import platform
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

Probe = Callable[[], None]


def _ruleset(name: str, rules: int = 5) -> None:
    """Register a small ruleset of `rules` comparisons (like the oracle's atom rules)."""
    from durable.lang import get_host, m, ruleset, when_all

    with ruleset(name):
        for n in range(rules):

            @when_all((m.kind == "profile") & (m.x >= n))  # x >= 0 always matches: no MessageNotHandled
            def fired(c: Any) -> None:
                pass

    get_host()


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def probe_threads(threads: int = 4, per_thread: int = 5000, lock: threading.Lock | None = None) -> None:
    """Several threads assert facts into one ruleset."""
    from contextlib import nullcontext

    from durable.lang import get_host

    _ruleset("threads")
    host = get_host()
    print(
        f"{threads} threads x {per_thread} assert_fact + delete_state each, {'behind one lock' if lock else 'no lock'}",
        flush=True,
    )
    errors: list[str] = []

    def work(t: int) -> None:
        for n in range(per_thread):
            sid = f"{t}-{n}"
            with lock or nullcontext():
                try:
                    host.assert_fact("threads", {"sid": sid, "kind": "profile", "x": float(n % 7)})
                except Exception as e:  # durable-rules raises on corrupted state
                    errors.append(f"{type(e).__name__}: {e}"[:120])
                finally:
                    host.delete_state("threads", sid)

    start = time.perf_counter()
    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for p in pool:
        p.start()
    for p in pool:
        p.join()
    print(
        f"finished in {time.perf_counter() - start:.1f} s with {len(errors)} exceptions"
        + (f"; first: {errors[0]}" if errors else ""),
        flush=True,
    )


def probe_threads_locked() -> None:
    """The same threads behind one lock."""
    probe_threads(lock=threading.Lock())


def probe_sessions(limit: int = 8192) -> None:
    """Sessions kept open at once, doubling."""
    from durable.lang import get_host

    _ruleset("sessions")
    host = get_host()
    opened = 0
    target = 128
    while target <= limit:
        try:
            while opened < target:
                host.assert_fact("sessions", {"sid": f"s{opened}", "kind": "profile", "x": 1.0})
                opened += 1
            print(f"{opened} sessions open: ok, resident {_rss_mb():.0f} MB", flush=True)
        except BaseException as e:
            print(f"{opened} sessions open, the next one failed: {type(e).__name__}: {e}"[:200], flush=True)
            return
        target *= 2


def probe_reregister(total: int = 1000) -> None:
    """Rulesets cannot be unloaded or replaced; memory per registered version."""
    _ruleset("pack_v0")
    try:
        _ruleset("pack_v0")
    except Exception as e:
        print(f"registering the same name again: {type(e).__name__}: {e}", flush=True)
    import durable.engine as engine

    unload = [n for n in dir(engine.Host) if "unregister" in n or "unload" in n or "remove" in n]
    print(f"unload API on durable.engine.Host: {unload or 'none'}", flush=True)
    base = _rss_mb()
    print(f"resident before: {base:.1f} MB", flush=True)
    for n in range(1, total + 1):
        _ruleset(f"pack_v{n}", rules=40)
        if n % 250 == 0:
            print(
                f"{n} versions registered (40 rules each): resident {_rss_mb():.1f} MB "
                f"(+{(_rss_mb() - base) / n * 1024:.0f} KB per version)",
                flush=True,
            )


def probe_negation_only() -> None:
    """A rule made only of a negation, given a fact that lacks the field."""
    from durable.lang import get_host, m, ruleset, when_all

    fired = [0]
    with ruleset("negation"):

        @when_all(-m.x)
        def missing(c: Any) -> None:
            fired[0] += 1
            if fired[0] in (1, 10, 1000, 100000):
                print(f"the rule has fired {fired[0]} times for the one fact", flush=True)

    print("assert_fact({'y': 1}) against a rule '-m.x' ...", flush=True)
    get_host().assert_fact("negation", {"sid": "1", "y": 1.0})
    print("returned", flush=True)


def probe_alpha_stack(siblings: int) -> None:
    """One fact matching a rule 'kind == profile' and `siblings` rules shaped like the oracle's
    (kind == profile, then +f_n, then f_n > 0): `siblings` matching nodes under one node.
    Registered on a host without dispatch threads, as the oracle does."""
    from durable.engine import Host
    from durable.lang import value, when_all

    class Quiet(Host):
        def _run(self) -> None:
            return None

    fired = [0]
    count = lambda c: fired.__setitem__(0, fired[0] + 1)  # noqa: E731
    profile = lambda: value("$m", "_kind") == "profile"  # noqa: E731
    rules = {"seen": when_all(profile())(count).define()}
    for n in range(siblings):
        f = lambda: value("$m", f"f{n}")  # noqa: E731, B023 — called within this iteration
        rules[f"r{n}"] = when_all(profile() & +f() & (f() > 0.0))(count).define()
    host = Quiet()
    host.register_rulesets({"stack": rules})
    fact = {"sid": "1", "_kind": "profile", **{f"f{n}": 1.0 for n in range(siblings)}}
    try:
        host.assert_fact("stack", fact)
        print(f"{siblings} matching tests under one node: {fired[0]} rules fired", flush=True)
    except Exception as e:
        print(f"{siblings} matching tests under one node: {e}", flush=True)
    host.delete_state("stack", "1")
    print("delete_state returned", flush=True)


def _stack_probe(siblings: int) -> Probe:
    probe = lambda: probe_alpha_stack(siblings)  # noqa: E731
    probe.__doc__ = f"One fact, {siblings} matching alpha nodes under one node, then delete_state."
    return probe


PROBES: dict[str, Probe] = {
    "threads": probe_threads,
    "threads_locked": probe_threads_locked,
    "sessions": probe_sessions,
    "reregister": probe_reregister,
    "negation_only": probe_negation_only,
    **{f"alpha_stack_{n}": _stack_probe(n) for n in (64, 65, 100)},
}
SHORT = {"negation_only": 10.0}  # a hang needs no minute to show
REPEAT = {"threads": 3, "threads_locked": 3}  # races do not crash every run


def run(name: str, timeout: float, attempt: str = "") -> None:
    print(f"\n== {name}{attempt}: {PROBES[name].__doc__}", flush=True)
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, __file__, "--probe", name], capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        print(out.rstrip())
        print(f"-> still running after {timeout:.0f} s: killed (a hang)")
        return
    print(done.stdout.rstrip())
    if done.returncode < 0:
        print(
            f"-> the process died of {signal.Signals(-done.returncode).name} after {time.perf_counter() - start:.1f} s"
        )
    elif done.returncode:
        print(f"-> exit code {done.returncode}: {done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ''}")
    else:
        print(f"-> completed in {time.perf_counter() - start:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=60, help="seconds per probe (default 60)")
    parser.add_argument("--only", choices=sorted(PROBES))
    parser.add_argument("--probe", choices=sorted(PROBES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.probe:
        PROBES[args.probe]()
        return 0
    from importlib.metadata import PackageNotFoundError, version

    try:
        version("durable_rules")
    except PackageNotFoundError:
        print(
            "durable-rules is not installed; install the oracle extra: pip install -e '.[oracle]'\n"
            "未安装 durable-rules，请安装 oracle 可选依赖",
            file=sys.stderr,
        )
        return 2
    print(
        f"durable_rules {version('durable_rules')}, Python {platform.python_version()}, "
        f"{__import__('os').cpu_count()} cores"
    )
    for name in [args.only] if args.only else PROBES:
        runs = REPEAT.get(name, 1)
        for n in range(runs):
            run(name, min(args.timeout, SHORT.get(name, args.timeout)), f" (run {n + 1} of {runs})" if runs > 1 else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
