"""Throughput and latency of POST /v1/assess under concurrent clients on loopback.

    python bench/api.py [--clients 32] [--requests 20000] [--seconds 30] [--workers 2] [--whatif on|off]
                        [--detail both|summary|full] [--url URL] [--quick]

Starts `uvicorn api.app:app_from_env` (unless --url names a running server), warms it up, then
for each detail mode (`?detail=summary`, then `full`) runs CLIENTS keep-alive connections, each
posting assessments back to back, until REQUESTS are done or SECONDS have passed. The client is a
small asyncio HTTP/1.1 loop (no client library in the way), so the figures are the server's, minus
what the client costs on the same machine. Targets: summary ≥ 1,000/s with p99 ≤ 50 ms at 32
clients, full ≥ 400/s. Then the same profiles are assessed in a fresh process without HTTP
(engine.summarise / engine.assess), so the server's CPU per request can be compared with the
engine's own. --quick: 2,000 requests or 10 s per mode.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from server import ROOT, start_server  # bench/server.py


def event_loop_run(main: Any) -> Any:
    """asyncio.run on uvloop (installed with uvicorn[standard]) when present: the client shares the two cores
    with the server, and the less CPU it spends per request the more of the figures are the server's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def example_profiles() -> list[object]:
    """Every profile in examples/*.json (a file may hold one profile or a list of them)."""
    found: list[object] = []
    for path in sorted((ROOT / "examples").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found += data if isinstance(data, list) else [data]
    return found


PROFILES = example_profiles()


def family(pid: int) -> list[tuple[int, list[str]]]:
    """The server and its worker processes with their /proc stat fields (Linux)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:  # fields[1] is the parent pid
            found.append((int(stat.parent.name), fields))
    return found


def server_cpu_seconds(pid: int) -> float | None:
    """User + system CPU of the server and its worker processes (Linux /proc), to separate the
    server's cost per assessment from the contention of a shared machine."""
    if not Path(f"/proc/{pid}").exists():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return sum((int(fields[11]) + int(fields[12])) / ticks for _, fields in family(pid))


def connections_per_worker(pid: int, port: int) -> list[int]:
    """How the clients' connections fell on the workers (Linux /proc): established sockets on the server's
    port, by the process holding them. An uneven split shows as a lower rate and a higher p99."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()  # local address, remote address, state (01: established) ... inode
            if fields[3] == "01" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    workers = [p for p, _ in family(pid) if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()] or [pid]
    counts = []
    for worker in workers:
        try:
            counts.append(sum(os.readlink(fd) in inodes for fd in Path(f"/proc/{worker}/fd").iterdir()))
        except OSError:
            continue
    return sorted(counts, reverse=True)


def until_idle(pid: int, most: float = 60.0) -> None:
    """Wait until the server and its workers are idle (< 10 % of a core over half a second). /healthz answers as
    soon as one worker is up; a connection made while another still loads its pack is accepted by the first,
    and kept (the uneven runs of round 4, one at 501 /s, were this). Also waits out the start-up collection."""
    deadline = time.monotonic() + most
    before = server_cpu_seconds(pid)
    while before is not None and time.monotonic() < deadline:
        time.sleep(0.5)
        now = server_cpu_seconds(pid)
        if now is None or now - before < 0.05:
            return
        before = now


def requests_for(host: str, as_of: str, what_if: bool, detail: str) -> list[bytes]:
    out = []
    for profile in PROFILES:
        body = json.dumps(profile, ensure_ascii=False).encode()
        head = (
            f"POST /v1/assess?as_of={as_of}&whatif={str(what_if).lower()}&detail={detail} HTTP/1.1\r\n"
            f"Host: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        out.append(head + body)
    return out


async def client(
    host: str, port: int, payloads: list[bytes], budget: Budget, latencies: list[float], delay: float = 0.0
) -> int:
    await asyncio.sleep(delay)
    reader, writer = await asyncio.open_connection(host, port)
    errors, n = 0, 0
    try:
        while budget.take():
            started = time.perf_counter()
            writer.write(payloads[n % len(payloads)])
            n += 1
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
            )
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            errors += not head.startswith(b"HTTP/1.1 200")
    finally:
        writer.close()
    return errors


STAGGER = 0.002  # seconds between two clients' connections


class Budget:
    def __init__(self, count: int, seconds: float) -> None:
        self.left, self.until = count, time.perf_counter() + seconds

    def take(self) -> bool:
        if self.left <= 0 or time.perf_counter() > self.until:
            return False
        self.left -= 1
        return True


async def run(
    url: str, clients: int, count: int, seconds: float, what_if: bool, detail: str, pid: int | None
) -> tuple[list[float], int, float, float | None, list[int]]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    payloads = requests_for(f"{host}:{port}", "2025-06-30", what_if, detail)
    warm: list[float] = []
    await asyncio.gather(*(client(host, port, payloads, Budget(50, 10), warm) for _ in range(clients)))
    latencies: list[float] = []
    cpu_before = server_cpu_seconds(pid) if pid else None
    started = time.perf_counter()
    # One budget shared by every client: a connection served by the less busy worker takes more requests,
    # as real clients would, instead of idling once it has done its even share.
    shared = Budget(count, seconds)
    # Connections arrive 2 ms apart, as clients do, not in one burst: a burst lands in the accept queue at once
    # and the first worker to wake takes most of it (20 / 12 of 32, or worse), for good on keep-alive.
    split = asyncio.create_task(split_after(STAGGER * clients + 1.5, pid, port))  # every client has connected
    errors = await asyncio.gather(
        *(client(host, port, payloads, shared, latencies, STAGGER * i) for i in range(clients))
    )
    elapsed = time.perf_counter() - started
    cpu_after = server_cpu_seconds(pid) if pid else None
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    if not split.done():
        split.cancel()
    return latencies, sum(errors), elapsed, cpu, split.result() if split.done() and not split.cancelled() else []


async def split_after(seconds: float, pid: int | None, port: int) -> list[int]:
    await asyncio.sleep(seconds)
    return connections_per_worker(pid, port) if pid else []


# The engine alone on the same profiles, in a fresh process: CPU ms per assessment for each mode.
IN_PROCESS = """
import json, sys, time
from datetime import date
import engine
profiles = [engine.parse_profile(p) for p in json.loads(sys.argv[1])]
pack, day, what_if, rounds = engine.default_pack(), date(2025, 6, 30), sys.argv[2] == "on", int(sys.argv[3])
for mode in ("summary", "full"):
    run = (lambda p: engine.summary_json(p, day, pack=pack)) if mode == "summary" else \\
        (lambda p: engine.assess(p, day, pack=pack, what_if=what_if).model_dump_json())
    for p in profiles:
        run(p)
    started = time.process_time()
    for _ in range(rounds):
        for p in profiles:
            run(p)
    print(mode, (time.process_time() - started) / (rounds * len(profiles)) * 1000)
"""


def in_process(what_if: str, rounds: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, "-c", IN_PROCESS, json.dumps(PROFILES, ensure_ascii=False), what_if, str(rounds)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )
    return {mode: float(ms) for mode, ms in (line.split() for line in done.stdout.splitlines())}


def report(
    detail: str,
    args: argparse.Namespace,
    latencies: list[float],
    errors: int,
    elapsed: float,
    server_cpu: float | None,
    client_cpu: float,
    split: list[int],
) -> float | None:
    latencies.sort()
    ms = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    rate = len(latencies) / elapsed
    target = "target >= 1,000/s, p99 <= 50 ms" if detail == "summary" else "target >= 400/s"
    print(
        f"POST /v1/assess?detail={detail} (whatif {args.whatif}): {len(latencies)} assessments, "
        f"{args.clients} concurrent clients, "
        f"{'server ' + args.url if args.url else f'{args.workers} uvicorn worker(s)'}, {os.cpu_count()} CPUs"
    )
    print(
        f"  {rate:,.0f} assessments/s   p50 {ms(0.50):.1f} ms   p99 {ms(0.99):.1f} ms   "
        f"mean {statistics.fmean(latencies) * 1000:.1f} ms   non-200: {errors}   ({target})"
    )
    per = None
    if server_cpu:
        per = server_cpu / len(latencies) * 1000
        print(
            f"  server CPU {per:.2f} ms per assessment (client {client_cpu / len(latencies) * 1000:.2f} ms); "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
    if split:
        print(
            f"  connections per worker: {' / '.join(map(str, split))} (of {args.clients}; the rest not yet connected or accepted)"
        )
    return per


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--whatif",
        choices=["on", "off"],
        default="off",
        help="full mode: ask for improvements and near misses (the service's default is on)",
    )
    parser.add_argument("--detail", choices=["both", "summary", "full"], default="both")
    parser.add_argument("--url", default=None, help="benchmark a running server instead of starting one")
    parser.add_argument("--quick", action="store_true", help="2,000 requests or 10 s per mode")
    args = parser.parse_args()
    if args.quick:
        args.requests, args.seconds = 2_000, 10
    modes = ["summary", "full"] if args.detail == "both" else [args.detail]
    server: dict[str, float | None] = {}
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = (None, args.url) if args.url else start_server(tmp, workers=args.workers)
        if proc is not None:
            until_idle(proc.pid)
        try:
            for detail in modes:
                client_cpu = time.process_time()
                latencies, errors, elapsed, server_cpu, split = event_loop_run(
                    run(
                        url,
                        args.clients,
                        args.requests,
                        args.seconds,
                        args.whatif == "on",
                        detail,
                        proc.pid if proc else None,
                    )
                )
                server[detail] = report(
                    detail, args, latencies, errors, elapsed, server_cpu, time.process_time() - client_cpu, split
                )
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=10)
    alone = in_process(args.whatif, rounds=3 if args.quick else 20)
    for detail in modes:
        shown = (
            ""
            if server.get(detail) is None
            else f"; the server spends {server[detail]:.2f} ms ({server[detail] / alone[detail]:.1f}x)"
        )  # type: ignore[operator]
        print(f"engine alone, fresh process, detail={detail}: {alone[detail]:.2f} ms CPU per assessment{shown}")


if __name__ == "__main__":
    main()
