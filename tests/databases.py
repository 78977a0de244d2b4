"""The databases the storage, recovery and access tests run against: SQLite always, PostgreSQL when
IPCHECK_TEST_POSTGRES names one (`.ci/run` starts one on loopback; under CI it must be there)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from api.storage import Base

POSTGRES = os.environ.get("IPCHECK_TEST_POSTGRES", "")
KINDS = ["sqlite", "postgresql"]


def fresh(kind: str, tmp_path: Path) -> str:
    """A URL of an empty database of that kind."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'runs.sqlite3'}"
    if not POSTGRES:
        if os.environ.get("CI"):
            pytest.fail("CI runs the storage tests on PostgreSQL: IPCHECK_TEST_POSTGRES is not set (see .ci/run)")
        pytest.skip("no PostgreSQL: set IPCHECK_TEST_POSTGRES=postgresql+psycopg://user:pw@127.0.0.1/db")
    engine = create_engine(POSTGRES)
    Base.metadata.drop_all(engine)
    engine.dispose()
    return POSTGRES
