"""Start the service on a free loopback port for a benchmark (shared by bench/api.py and bench/api_screen.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the protocol of this checkout
from api.oneshot import UVICORN_HTTP  # noqa: E402  what `ipcheck serve` uses (api/cli.py)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(tmp: str, workers: int = 1, env: dict[str, str] | None = None) -> tuple[subprocess.Popen[bytes], str]:
    """uvicorn with a fresh SQLite database in `tmp`; returns once /healthz answers (60 s at most)."""
    port = free_port()
    full_env = (
        os.environ
        | {
            "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        | (env or {})
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.app:app_from_env",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--no-access-log",
            "--http",
            UVICORN_HTTP,
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=full_env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the server did not start")
