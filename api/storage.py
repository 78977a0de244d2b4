"""Screening runs in a real database (SQLAlchemy): SQLite by default, any URL via DATABASE_URL.

A run keeps what is needed to replay and audit it: the input file and its hash, the rule-pack
hash, the as-of date, the officer who ran it, the status, the summary and the result workbook.
Self-checks are never stored. The two files live in their own table (`screen_files`), read only when
named: in SQLite a row's columns after a large value are reached by walking that value's overflow
pages, so with the files in the runs table every status poll and run list read the stored workbooks
(≈ 10 ms of CPU per poll with one 20,000-row run stored; a list of 20 such runs, 300 MB of pages).

Durability: a run is claimed by one server process (`claimed_by`), which keeps its `heartbeat_at`
fresh while the run is queued or running; a run whose heartbeat is stale (its process died) is
claimed again by any live process, at most `MAX_ATTEMPTS` times, then marked failed with the
reason. Every write is retried while the database is locked, for at most `lock_wait` seconds;
then `StoreBusy` (the service answers 503 with Retry-After).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    String,
    Text,
    create_engine,
    delete,
    inspect,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, sessionmaker
from sqlalchemy.pool import StaticPool

T = TypeVar("T")
MAX_ATTEMPTS = 3
ACTIVE = ("queued", "running")


class Base(DeclarativeBase):
    pass


def now() -> datetime:
    return datetime.now(UTC)


def utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes: they were stored as UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


class ScreenRun(Base):
    __tablename__ = "screen_runs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=lambda: uuid.uuid4().hex)
    officer: Mapped[str] = mapped_column(String(200))  # the owner: who uploaded it
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")  # queued, running, done, failed
    input_name: Mapped[str] = mapped_column(String(20))  # "input.csv" / "input.xlsx", not the upload's name
    input_sha256: Mapped[str] = mapped_column(String(64))
    sheet: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the worksheet chosen at upload
    # what the officer asked for at upload (quota / budget entries, ignoring unknown columns): a restarted
    # run is screened exactly as the first attempt would have been
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    rows: Mapped[int] = mapped_column(Integer)
    rules_hash: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[date] = mapped_column(Date)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    result_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # times it started running
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the process working on it
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    # The stored files (screen_files), set by Store.get only when named: not columns of this table.
    input_bytes = None
    result_bytes = None


FILES = {"input_bytes": "input", "result_bytes": "result"}  # ScreenRun attribute -> screen_files.kind


class ScreenFile(Base):
    """A run's uploaded table or result workbook, apart from the run (see the module docstring)."""

    __tablename__ = "screen_files"
    run_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # "input" / "result"
    data: Mapped[bytes] = mapped_column(LargeBinary)


class StoreBusy(RuntimeError):
    """The database stayed locked longer than the store waits."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"the database stayed locked for {seconds:.1f} s")
        self.seconds = seconds


def locked(e: DBAPIError) -> bool:
    """A lock or a serialisation conflict (SQLite 'database is locked', PostgreSQL lock timeouts)."""
    text_ = str(e.orig).lower()
    code = getattr(e.orig, "sqlstate", None) or getattr(e.orig, "pgcode", None)
    return "locked" in text_ or "busy" in text_ or code in ("55P03", "40001", "40P01", "57014")


class Store:
    def __init__(self, url: str, lock_wait: float = 10.0) -> None:
        self.lock_wait = lock_wait
        options: dict[str, Any] = {}
        if url.startswith("sqlite"):
            # background runs use other threads; each try waits briefly, `retry` bounds the total
            options["connect_args"] = {"check_same_thread": False, "timeout": min(1.0, lock_wait)}
            if ":memory:" in url or url.rstrip("/") == "sqlite:":
                options["poolclass"] = StaticPool  # one shared connection, or each would see its own empty DB
        elif url.startswith("postgresql"):
            ms = int(min(1.0, lock_wait) * 1000)
            options["connect_args"] = {"options": f"-c lock_timeout={ms}"}
        options["pool_pre_ping"] = True
        self.engine = create_engine(url, **options)
        self.retry(self.create)
        self.session = sessionmaker(self.engine, expire_on_commit=False)

    def create(self) -> None:
        try:
            Base.metadata.create_all(self.engine)
        except (OperationalError, ProgrammingError):  # another worker created the table at the same moment
            Base.metadata.create_all(self.engine)
        self.add_missing_columns()
        self.move_files_out()

    def add_missing_columns(self) -> None:
        """A database made by an earlier version gets the columns added since (all nullable or defaulted)."""
        have = {c["name"] for c in inspect(self.engine).get_columns(ScreenRun.__tablename__)}
        for column in ScreenRun.__table__.columns:
            if column.name in have:
                continue
            kind = column.type.compile(self.engine.dialect)
            default = f" DEFAULT {column.server_default.arg}" if column.server_default is not None else ""
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        text(f"ALTER TABLE {ScreenRun.__tablename__} ADD COLUMN {column.name} {kind}{default}")
                    )
            except (OperationalError, ProgrammingError):  # another worker added it at the same moment
                pass

    def move_files_out(self) -> None:
        """A database made before the files had their own table: copy them there, then drop the old columns
        (each worker starting at the same moment may try; what one has done, the others skip)."""
        have = {c["name"] for c in inspect(self.engine).get_columns(ScreenRun.__tablename__)}
        for attribute, kind in FILES.items():
            if attribute not in have:
                continue
            try:
                with self.engine.begin() as connection:
                    connection.execute(
                        text(
                            f"INSERT INTO screen_files (run_id, kind, data) SELECT id, '{kind}', {attribute} "
                            f"FROM screen_runs r WHERE {attribute} IS NOT NULL AND NOT EXISTS "
                            f"(SELECT 1 FROM screen_files f WHERE f.run_id = r.id AND f.kind = '{kind}')"
                        )
                    )
                    connection.execute(text(f"ALTER TABLE screen_runs DROP COLUMN {attribute}"))
            except DBAPIError:  # another worker moved them at the same moment
                pass

    def retry(self, action: Callable[[], T], wait: float | None = None) -> T:
        """Run `action`, again while the database is locked, for at most `wait` seconds."""
        wait = self.lock_wait if wait is None else wait
        deadline, pause = time.monotonic() + wait, 0.05
        while True:
            try:
                return action()
            except DBAPIError as e:
                if not locked(e):
                    raise
                if time.monotonic() + pause > deadline:
                    raise StoreBusy(wait) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.5)

    # --- runs -------------------------------------------------------------------
    def add(self, run: ScreenRun, input_bytes: bytes) -> ScreenRun:
        """Store a run with its uploaded file, in one transaction."""

        def write() -> ScreenRun:
            with self.session.begin() as s:
                s.add(run)
                s.flush()  # the run's id
                s.add(ScreenFile(run_id=run.id, kind="input", data=input_bytes))
            return run

        return self.retry(write)

    def get(self, run_id: str, *files: str) -> ScreenRun | None:
        """The run, with the stored files named ("input_bytes", "result_bytes") read as its attributes of
        those names (None when not stored); the others are not read: a status poll needs none of them."""
        kinds = [FILES[f] for f in files]

        def read() -> ScreenRun | None:
            with self.session() as s:
                run = s.get(ScreenRun, run_id)
                if run is not None and kinds:
                    query = select(ScreenFile.kind, ScreenFile.data).where(
                        ScreenFile.run_id == run_id, ScreenFile.kind.in_(kinds)
                    )
                    stored = dict(s.execute(query).all())
                    for attribute in files:
                        setattr(run, attribute, stored.get(FILES[attribute]))
                return run

        return self.retry(read)

    def update(self, run_id: str, wait: float | None = None, **values: Any) -> None:
        """Set a run's columns; `result_bytes` stores (or, given None, removes) its result workbook."""
        result = values.pop("result_bytes", ...)

        def write() -> None:
            with self.session.begin() as s:
                if values:
                    s.execute(update(ScreenRun).where(ScreenRun.id == run_id).values(**values))
                if result is not ...:
                    s.execute(delete(ScreenFile).where(ScreenFile.run_id == run_id, ScreenFile.kind == "result"))
                    if result is not None:
                        s.add(ScreenFile(run_id=run_id, kind="result", data=result))

        self.retry(write, wait)

    def purge(self, days: int) -> int:
        """Delete runs (their input, workbook and summary) created more than `days` days ago; how many."""
        cutoff = now() - timedelta(days=days)
        old = select(ScreenRun.id).where(ScreenRun.created_at < cutoff)

        def write() -> int:
            with self.session.begin() as s:
                s.execute(delete(ScreenFile).where(ScreenFile.run_id.in_(old)))
                return s.execute(delete(ScreenRun).where(ScreenRun.created_at < cutoff)).rowcount or 0

        return self.retry(write)

    def recent(self, limit: int = 20, officer: str | None = None) -> list[ScreenRun]:
        """The latest runs, newest first; only `officer`'s when given."""
        query = select(ScreenRun)
        if officer is not None:
            query = query.where(ScreenRun.officer == officer)

        def read() -> list[ScreenRun]:
            with self.session() as s:
                return list(s.scalars(query.order_by(ScreenRun.created_at.desc()).limit(limit)))

        return self.retry(read)

    # --- claims and heartbeats --------------------------------------------------
    def claim(self, run_id: str, me: str, stale_before: datetime | None = None) -> bool:
        """Take a run to work on: one queued by `me`, or (with `stale_before`) any active run whose
        heartbeat is older. Atomic: of several processes trying, one wins. Counts the attempt."""
        condition = (
            ScreenRun.claimed_by == me
            if stale_before is None
            else or_(ScreenRun.heartbeat_at.is_(None), ScreenRun.heartbeat_at < stale_before)
        )

        def write() -> bool:
            with self.session.begin() as s:
                done = s.execute(
                    update(ScreenRun)
                    .where(ScreenRun.id == run_id, ScreenRun.status.in_(ACTIVE), condition)
                    .values(status="running", claimed_by=me, heartbeat_at=now(), attempts=ScreenRun.attempts + 1)
                )
                return done.rowcount == 1

        return self.retry(write)

    def beat(self, me: str) -> None:
        """Keep every active run of this process fresh."""

        def write() -> None:
            with self.session.begin() as s:
                s.execute(
                    update(ScreenRun)
                    .where(ScreenRun.claimed_by == me, ScreenRun.status.in_(ACTIVE))
                    .values(heartbeat_at=now())
                )

        self.retry(write)

    def stale(self, before: datetime) -> list[tuple[str, int]]:
        """(id, attempts) of active runs whose process stopped beating before `before`."""
        query = select(ScreenRun.id, ScreenRun.attempts).where(
            ScreenRun.status.in_(ACTIVE), or_(ScreenRun.heartbeat_at.is_(None), ScreenRun.heartbeat_at < before)
        )

        def read() -> list[tuple[str, int]]:
            with self.session() as s:
                return [(i, a or 0) for i, a in s.execute(query.order_by(ScreenRun.created_at))]

        return self.retry(read)

    def dispose(self) -> None:
        self.engine.dispose()


def stale_cutoff(seconds: float) -> datetime:
    return now() - timedelta(seconds=seconds)
