"""Screening runs in a real database (SQLAlchemy): SQLite by default, any URL via DATABASE_URL.

A run keeps what is needed to replay and audit it: the input file and its hash, the rule-pack
hash, the as-of date, the officer who ran it, the status, the summary and the result workbook.
Self-checks are never stored.
"""
from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Integer, LargeBinary, String, Text, create_engine, delete, select
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.pool import StaticPool
from sqlalchemy.orm import DeclarativeBase, Mapped, defer, mapped_column, sessionmaker


class Base(DeclarativeBase):
    pass


def now() -> datetime:
    return datetime.now(timezone.utc)


class ScreenRun(Base):
    __tablename__ = "screen_runs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: uuid.uuid4().hex)
    officer: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued, running, done, failed
    input_name: Mapped[str] = mapped_column(String(20))                 # "input.csv" / "input.xlsx", not the upload's name
    input_sha256: Mapped[str] = mapped_column(String(64))
    input_bytes: Mapped[bytes] = mapped_column(LargeBinary)
    rows: Mapped[int] = mapped_column(Integer)
    rules_hash: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[date] = mapped_column(Date)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    result_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    result_bytes: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)


class Store:
    def __init__(self, url: str) -> None:
        options: dict[str, Any] = {}
        if url.startswith("sqlite"):
            options["connect_args"] = {"check_same_thread": False}  # background runs use other threads
            if ":memory:" in url or url.rstrip("/") == "sqlite:":
                options["poolclass"] = StaticPool  # one shared connection, or each would see its own empty DB
        self.engine = create_engine(url, **options)
        try:
            Base.metadata.create_all(self.engine)
        except (OperationalError, ProgrammingError):  # another worker created the table at the same moment
            Base.metadata.create_all(self.engine)
        self.session = sessionmaker(self.engine, expire_on_commit=False)

    def add(self, run: ScreenRun) -> ScreenRun:
        with self.session.begin() as s:
            s.add(run)
        return run

    def get(self, run_id: str) -> ScreenRun | None:
        with self.session() as s:
            return s.get(ScreenRun, run_id)

    def update(self, run_id: str, **values: Any) -> None:
        with self.session.begin() as s:
            run = s.get(ScreenRun, run_id)
            if run is not None:
                for key, value in values.items():
                    setattr(run, key, value)

    def purge(self, days: int) -> int:
        """Delete runs (their input, workbook and summary) created more than `days` days ago; how many."""
        cutoff = now() - timedelta(days=days)
        with self.session.begin() as s:
            return s.execute(delete(ScreenRun).where(ScreenRun.created_at < cutoff)).rowcount or 0

    def recent(self, limit: int = 20) -> list[ScreenRun]:
        with self.session() as s:
            query = select(ScreenRun).options(defer(ScreenRun.input_bytes), defer(ScreenRun.result_bytes))
            return list(s.scalars(query.order_by(ScreenRun.created_at.desc()).limit(limit)))

    def dispose(self) -> None:
        self.engine.dispose()
