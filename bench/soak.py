"""Soak: many clients for a minute against a running service while its rules are reloaded, on loopback.

    python bench/soak.py [--clients 32] [--seconds 60] [--workers 2] [--reload-every 5] [--quick]

Starts `uvicorn api.app:app_from_env` with WORKERS workers on a copy of the shipped rules (watched
every second), then CLIENTS keep-alive connections send, back to back, a mix of requests: full and
summary self-checks of every example profile, an interview step, the policy list and /healthz.
Every RELOAD_EVERY seconds one rule file of the copy gains (or loses) a comment line, so its hash
changes and every worker's watcher reloads it hot, and a reload is also asked through POST
/v1/rules/reload. Every full self-check's decisions are compared with what `ipcheck assess --json`
(the CLI, run once per profile before the soak) decided for the same profile: any difference is an
error, as is any answer other than 200 (a 5xx above all: it must stay 0).

Prints the requests done, the errors (by kind), p50/p99 latency, the reloads seen, and the resident
memory of the server's processes after the warm-up and at the end (its growth over the soak).
--quick: 10 seconds, a reload every 3.  Not a test: a figure for docs/performance.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from server import ROOT, start_server  # bench/server.py

AS_OF = "2025-06-30"
TOKEN = "soak-officer-token"
RELOADED = "jiangbei/new_ip_service_firm.yaml"  # its comment line comes and goes


def profiles() -> list[tuple[str, object]]:
    """(file name, profile) for every example profile, one per file."""
    found = []
    for path in sorted((ROOT / "examples").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict):
            found.append((path.name, data))
    return found


def cli_decisions(files: list[str]) -> list[str]:
    """What `ipcheck assess --json` decides for each profile: its decisions as canonical JSON."""
    done = subprocess.run(
        [sys.executable, "-c", "from api.cli import main; main()", "assess", *files, "--as-of", AS_OF, "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )
    out = json.loads(done.stdout)
    return [canonical(a["decisions"]) for a in (out if isinstance(out, list) else [out])]


def canonical(decisions: object) -> str:
    return json.dumps(decisions, ensure_ascii=False, sort_keys=True)


def request(host: str, method: str, path: str, body: object = None, token: str | None = None) -> bytes:
    data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
    head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(data)}\r\n"
    head += "Content-Type: application/json\r\n" if body is not None else ""
    head += f"Authorization: Bearer {token}\r\n" if token else ""
    return (head + "\r\n").encode() + data


class Mix:
    """The requests the clients cycle through; which of them are full self-checks, with their expected decisions."""

    def __init__(self, host: str, examples: list[tuple[str, object]], expected: list[str]) -> None:
        self.items: list[tuple[str, bytes, str | None]] = []
        for (_, profile), decisions in zip(examples, expected):
            full = f"/v1/assess?as_of={AS_OF}&whatif=false"
            self.items.append(("assess full", request(host, "POST", full, profile), decisions))
            summary = f"/v1/assess?as_of={AS_OF}&detail=summary"
            self.items.append(("assess summary", request(host, "POST", summary, profile), None))
        first = examples[0][1]
        self.items += [
            ("interview", request(host, "POST", f"/v1/interview?as_of={AS_OF}", {"values": first}), None),
            ("policies", request(host, "GET", "/v1/policies"), None),
            ("healthz", request(host, "GET", "/healthz"), None),
        ]


class Tally:
    def __init__(self, seconds: float) -> None:
        self.until = time.perf_counter() + seconds
        self.latencies: list[float] = []
        self.errors: Counter[str] = Counter()
        self.hashes: Counter[str] = Counter()


async def client(host: str, port: int, mix: Mix, start: int, tally: Tally) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    n = start
    try:
        while time.perf_counter() < tally.until:
            kind, payload, expected = mix.items[n % len(mix.items)]
            n += 1
            began = time.perf_counter()
            writer.write(payload)
            try:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")
                )
                body = await reader.readexactly(length)
            except (asyncio.IncompleteReadError, ConnectionError, StopIteration):
                tally.errors[f"{kind}: connection lost"] += 1
                writer.close()
                reader, writer = await asyncio.open_connection(host, port)
                continue
            tally.latencies.append(time.perf_counter() - began)
            status = int(head.split(b" ", 2)[1])
            if status != 200:
                tally.errors[f"{kind}: HTTP {status}"] += 1
            elif expected is not None and canonical(json.loads(body)["decisions"]) != expected:
                tally.errors[f"{kind}: decisions differ from the CLI's"] += 1
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"x-rules-hash:"):
                    tally.hashes[line.split(b":")[1].strip().decode()] += 1
    finally:
        writer.close()


async def reloads(url: str, rules: Path, every: float, tally: Tally) -> int:
    """Every `every` seconds, change the watched rule file (a comment line in or out) and ask for a reload."""
    target, original = rules / RELOADED, (rules / RELOADED).read_text(encoding="utf-8")
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    count = 0
    while time.perf_counter() + every < tally.until:
        await asyncio.sleep(every)
        count += 1
        target.write_text(original + ("# soak reload\n" if count % 2 else ""), encoding="utf-8")
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(request(f"{host}:{port}", "POST", "/v1/rules/reload", token=TOKEN))
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(h.split(b":")[1]) for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:"))
        await reader.readexactly(length)
        writer.close()
        if not head.startswith(b"HTTP/1.1 200"):
            tally.errors["rules reload: " + head.split(b"\r\n")[0].decode()] += 1
    return count


def rss_mb(pid: int) -> float:
    """Resident memory of the server and its worker processes (Linux /proc), MB."""
    total = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if int(status.parent.name) == pid or int(fields.get("PPid", "0").strip() or 0) == pid:
            total += int(fields.get("VmRSS", "0 kB").split()[0])
    return total / 1024


async def soak(url: str, pid: int, rules: Path, args: argparse.Namespace) -> bool:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    examples = profiles()
    mix = Mix(f"{host}:{port}", examples, cli_decisions([str(ROOT / "examples" / name) for name, _ in examples]))
    warm = Tally(3)
    await asyncio.gather(*(client(host, port, mix, i, warm) for i in range(args.clients)))
    before = rss_mb(pid)
    tally = Tally(args.seconds)
    started = time.perf_counter()
    *_, reloaded = await asyncio.gather(
        *(client(host, port, mix, i, tally) for i in range(args.clients)), reloads(url, rules, args.reload_every, tally)
    )
    elapsed = time.perf_counter() - started
    after = rss_mb(pid)
    report(args, tally, elapsed, reloaded, before, after, len(warm.errors))
    return not tally.errors


def report(
    args: argparse.Namespace, tally: Tally, elapsed: float, reloaded: int, before: float, after: float, warm_errors: int
) -> None:
    lat = sorted(tally.latencies)
    ms = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")  # noqa: E731
    five = sum(n for kind, n in tally.errors.items() if " HTTP 5" in kind)
    print(
        f"soak: {args.clients} clients, {elapsed:.0f} s, {args.workers} uvicorn workers, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at the end"
    )
    print(
        f"  {len(lat):,} requests ({len(lat) / elapsed:,.0f}/s)   p50 {ms(0.5):.1f} ms   p99 {ms(0.99):.1f} ms   "
        f"errors {sum(tally.errors.values())} (5xx: {five}; warm-up errors {warm_errors})"
    )
    for kind, n in sorted(tally.errors.items()):
        print(f"    {n} × {kind}")
    print(
        f"  rule reloads: {reloaded} file changes + reload calls; answers came from {len(tally.hashes)} rule pack(s): "
        + ", ".join(f"{h} ×{n:,}" for h, n in tally.hashes.most_common())
    )
    print(
        f"  server memory (all processes): {before:.0f} MB after warm-up, {after:.0f} MB at the end "
        f"({after - before:+.0f} MB)"
    )
    print("  OK: no 5xx, every full self-check equal to the CLI's" if not tally.errors else "  FAILED")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reload-every", type=float, default=5)
    parser.add_argument("--quick", action="store_true", help="10 seconds, a reload every 3")
    args = parser.parse_args()
    if args.quick:
        args.seconds, args.reload_every = 10, 3
    with tempfile.TemporaryDirectory(prefix="ipcheck-soak-") as tmp:
        rules = Path(tmp) / "rules"
        shutil.copytree(ROOT / "rules", rules)
        env = {"IPCHECK_RULES": str(rules), "IPCHECK_RULES_POLL": "1", "IPCHECK_OFFICER_TOKENS": f"soak:{TOKEN}"}
        proc, url = start_server(tmp, args.workers, env)
        try:
            ok = asyncio.run(soak(url, proc.pid, rules, args))
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
