"""End-to-end time of an officer screening run through the service: upload to result ready.

    python bench/api_screen.py [--rows 20000] [--runs 5] [--input FILE] [--as-of 2025-06-30] [--url URL --token T]

Generates ROWS synthetic applicants (`ipcheck generate --headers zh`, seed 0, as .xlsx: what an
officer uploads; --input a20k.csv times the same rows as CSV) unless --input names a table,
starts `uvicorn api.app:app_from_env` on loopback with a fresh SQLite database (unless --url
names a running server), then times: the POST /v1/screens (upload, reading and the row check),
the run until GET /v1/screens/{id} says done (polled every 100 ms: each poll costs the server CPU the
figure counts), and the workbook download. The first run after the server starts is reported apart
(it also pays for compiling the pack's batch plan for the date); then RUNS more are timed and their
median and range printed, since one run on a shared machine says little. --quick: 2,000 rows, 2 runs.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

from server import ROOT, start_server  # bench/server.py


def call(url: str, token: str, body: bytes | None = None, content_type: str | None = None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} | ({"Content-Type": content_type} if content_type else {})
    request = urllib.request.Request(url, data=body, headers=headers, method="POST" if body is not None else "GET")
    try:
        with urllib.request.urlopen(request, timeout=3600) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def multipart(path: Path, as_of: str) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="as_of"\r\n\r\n{as_of}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    return head + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) the server and every process under it (the forkserver and the child reading a
    workbook) have used so far, from /proc (0 where unavailable): the service's own work, which the machine's
    load does not inflate the way it inflates wall time."""
    if pid is None:
        return 0.0
    stats = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats[int(stat.parent.name)] = (
            int(fields[1]),
            sum(int(f) for f in fields[11:15]),
        )  # ppid, own + waited children
    tree, total = {pid}, 0
    for _ in range(8):  # a few levels: server -> forkserver -> reader
        tree |= {p for p, (parent, _) in stats.items() if parent in tree}
    total = sum(stats[p][1] for p in tree if p in stats)
    return total / os.sysconf("SC_CLK_TCK")


def screen(url: str, token: str, path: Path, as_of: str, pid: int | None = None) -> dict[str, Any]:
    body, kind = multipart(path, as_of)
    cpu = cpu_seconds(pid)
    started = time.perf_counter()
    code, answer = call(url + "/v1/screens", token, body, kind)
    accepted = time.perf_counter()
    if code != 202:
        raise SystemExit(f"upload refused: {code} {answer[:500]!r}")
    run = json.loads(answer)
    while run["status"] in ("queued", "running"):
        time.sleep(0.1)
        run = json.loads(call(f"{url}/v1/screens/{run['id']}", token)[1])
    done = time.perf_counter()
    cpu = cpu_seconds(pid) - cpu
    if run["status"] != "done":
        raise SystemExit(f"run failed: {run['error']}")
    code, workbook = call(url + run["result_url"], token)
    fetched = time.perf_counter()
    return {
        "workbook": workbook,
        "run": run,
        "upload": accepted - started,
        "ready": done - started,
        "download": fetched - done,
        "bytes": len(workbook),
        "cpu": cpu,
    }


def io_floor(source: Path, workbook: bytes) -> float:
    """CPU seconds of the I/O any screening service must do, measured here: parse the upload into cell
    values (fastexcel: calamine into Arrow, each column in the type it infers — the service asks for text) and
    compress the result workbook's XML (zip level 1, as it writes it). The service's CPU from POST to ready is
    compared with this."""
    import fastexcel

    started = time.process_time()
    if source.suffix.lower() == ".xlsx":
        fastexcel.read_excel(str(source)).load_sheet(0, header_row=None, skip_rows=0).to_arrow()
    else:
        source.read_text(encoding="utf-8-sig").splitlines()
    with zipfile.ZipFile(io.BytesIO(workbook)) as book, zipfile.ZipFile(io.BytesIO(), "w") as out:
        for item in book.infolist():
            out.writestr(item.filename, book.read(item.filename), zipfile.ZIP_DEFLATED, 1)
    return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs after the first (default 5)")
    parser.add_argument("--quick", action="store_true", help="2,000 rows, 2 runs: a fast check that the path works")
    parser.add_argument("--input", type=Path, default=None, help="screen this table instead of a generated one")
    parser.add_argument("--as-of", default="2025-06-30")
    parser.add_argument("--url", default=None, help="a running server (then --token is needed)")
    parser.add_argument("--token", default=None)
    args = parser.parse_args()
    if args.quick:
        args.rows, args.runs = 2_000, 2
    token = args.token or secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as tmp:
        source = args.input
        if source is None:
            source = Path(tmp) / f"applicants-{args.rows}.xlsx"  # what an officer uploads: xlsx, Chinese headers
            subprocess.run(
                [sys.executable, "-m", "engine", "generate", str(args.rows), "-o", str(source), "--headers", "zh"],
                cwd=ROOT,
                check=True,
                env=os.environ | {"PYTHONPATH": str(ROOT)},
                stdout=subprocess.DEVNULL,
            )
        proc, url = (
            (None, args.url)
            if args.url
            else start_server(tmp, env={"IPCHECK_RULES_POLL": "0", "IPCHECK_OFFICER_TOKENS": f"bench:{token}"})
        )
        pid = proc.pid if proc is not None else None
        try:
            first = screen(url, token, source, args.as_of, pid)
            timed = [screen(url, token, source, args.as_of, pid) for _ in range(args.runs)]
            floor, size = io_floor(source, first["workbook"]), source.stat().st_size
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=10)
    report(source.name, size, first, timed, floor)


def report(name: str, size: int, first: dict[str, Any], timed: list[dict[str, Any]], floor: float) -> None:
    run, rows, runs = first["run"], first["run"]["rows"], timed or [first]
    print(
        f"POST /v1/screens {name} ({size / 1e6:.1f} MB, "
        f"{rows} rows), {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(
        f"  first run after the server started: upload answered in {first['upload']:.2f} s, result ready "
        f"{first['ready']:.2f} s after the POST, server CPU {first['cpu']:.2f} s"
    )
    for name, key in (("upload answered", "upload"), ("result ready", "ready"), ("server CPU", "cpu")):
        values = [t[key] for t in runs]
        target = " (target: result ready ≤ 5 s)" if key == "ready" else ""
        print(
            f"  {name}: median {statistics.median(values):.2f} s, {min(values):.2f}–{max(values):.2f} s "
            f"over {len(values)} runs{target}"
        )
    last = runs[-1]
    print(f"  workbook {last['bytes'] / 1e6:.1f} MB downloaded in {last['download']:.2f} s")
    cpu = statistics.median(t["cpu"] for t in runs)
    if cpu:
        print(
            f"  I/O floor measured in this run (parse the upload, compress the result): {floor:.2f} s CPU; "
            f"the service's median CPU is {cpu / floor:.1f}× the floor (on a loaded machine the CPU figures are "
            "the ones to compare)"
        )
    summary = run["summary"] or {}
    print(
        f"  invalid rows: {summary.get('invalid')}; per policy: {json.dumps(summary.get('policies'), ensure_ascii=False)}"
    )


if __name__ == "__main__":
    main()
