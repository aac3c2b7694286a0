"""The history store: SQLite (one file, WAL, a busy timeout) or PostgreSQL, through SQLAlchemy
Core; its schema is created and upgraded by the migrations each time it is opened."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from sqlalchemy import Engine, create_engine, event, insert, select
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from sqlalchemy.pool import NullPool

from auditor.history import migrations
from auditor.history.location import StoreLocation
from auditor.history.section import git_of
from auditor.history.tables import HEAD_REVISION, alembic_version, conditions, runs
from auditor.model import Scorecard
from auditor.registry import gates

BUSY_TIMEOUT_S = 30.0
"""How long a SQLite writer waits for another audit's write to finish."""
CONNECT_TIMEOUT_S = 10
"""How long to wait for a PostgreSQL server before the history is given up for this run."""


def build_conditions() -> list[str]:
    """`gate.condition` of the conditions that say whether the tests passed and the code
    compiled, as the installed gates declare them (`Gate.build_conditions`)."""
    return [f"{gate.id}.{c}" for gate in gates().values() for c in gate.build_conditions]


@dataclass(frozen=True)
class Figure:
    """A condition of a recorded run."""

    value: float | None
    status: str
    unit: str
    op: str
    threshold: float


@dataclass(frozen=True)
class Run:
    """A recorded run with its indexed figures, by `gate.condition`."""

    id: int
    target: str
    branch: str | None
    commit: str | None
    started_at: datetime
    status: str
    score: float
    grade: str
    figures: dict[str, Figure]


@dataclass(frozen=True)
class BuildRecord:
    """What the success metrics read of one run."""

    started_at: datetime
    branch: str | None
    status: str
    build_ok: bool | None
    """Tests passed and no critical lint error; None when the run measured neither."""


def parse_time(iso: str) -> datetime:
    """A scorecard's ISO-8601 time as a naive UTC datetime, as the store keeps times."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _sqlite_engine(database: str) -> Engine:
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        URL.create("sqlite", database=database), poolclass=NullPool,
        connect_args={"timeout": BUSY_TIMEOUT_S},
    )

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: object) -> None:
        # The driver's own transaction handling would leave DDL outside transactions; take
        # control of BEGIN instead, and share the file between writers through the WAL.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        # Take the write lock at the start, so two audits queue (busy timeout) instead of one
        # failing halfway when both upgrade a read lock.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _engine(location: StoreLocation) -> Engine:
    if location.file is not None:
        return _sqlite_engine(str(location.file))
    return create_engine(
        make_url(location.server_url), poolclass=NullPool,
        connect_args={"connect_timeout": CONNECT_TIMEOUT_S},
    )


def _revision(engine: Engine) -> str | None:
    """The store's schema revision, or None when it has none yet (or it cannot be read here)."""
    try:
        with engine.begin() as connection:
            found = connection.execute(select(alembic_version.c.version_num)).scalar()
    except (OperationalError, ProgrammingError):
        return None
    return found if isinstance(found, str) else None


def _migrate(engine: Engine) -> None:
    """Create or upgrade the schema to the newest revision. Two first runs at once: the loser
    of the race sees the winner's tables on its second try."""
    if _revision(engine) == HEAD_REVISION:
        return
    # The migration tool loads only when the schema must change.
    from alembic import command  # noqa: PLC0415
    from alembic.config import Config  # noqa: PLC0415

    config = Config()
    config.set_main_option("script_location", str(Path(migrations.__file__).parent))
    for attempt in (1, 2):
        try:
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            return
        except (IntegrityError, OperationalError, ProgrammingError):
            if attempt == 2:
                raise


def _key(target: str, card: Scorecard) -> tuple[str, str]:
    """The run's identity (the same scorecard recorded twice is one run) and its stored text."""
    text = msgspec.json.encode(card, order="sorted").decode("utf-8")
    return hashlib.sha256(f"{target}\n{text}".encode()).hexdigest(), text


class Store:
    """An opened history; every method may raise SQLAlchemy or OS errors, which callers turn into
    warnings."""

    def __init__(self, location: StoreLocation) -> None:
        self.location = location
        self.engine = _engine(location)
        _migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _begin(self) -> Iterator[Connection]:
        with self.engine.begin() as connection:
            yield connection

    def record(self, card: Scorecard, target: str) -> bool:
        """Record a run; False when this very scorecard is already recorded (an import twice)."""
        run_key, text = _key(target, card)
        git = git_of(card)
        with self._begin() as connection:
            if connection.execute(select(runs.c.id).where(runs.c.run_key == run_key)).first():
                return False
            result = connection.execute(
                insert(runs).values(
                    run_key=run_key,
                    target=target,
                    branch=git.branch,
                    commit=git.commit,
                    dirty=git.dirty,
                    started_at=parse_time(card.started_at),
                    recorded_at=datetime.now(UTC).replace(tzinfo=None),
                    status=card.status,
                    score=card.score,
                    grade=card.grade,
                    duration_s=card.duration_s,
                    auditor_version=card.auditor_version,
                    scorecard=text,
                )
            )
            run_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
            rows = [
                {
                    "run_id": run_id,
                    "gate": gate.id,
                    "condition": cond.id,
                    "value": cond.value,
                    "status": cond.status,
                    "blocking": cond.blocking,
                    "unit": cond.unit,
                    "op": cond.op,
                    "threshold": cond.threshold,
                }
                for gate in card.gates
                for cond in gate.conditions
            ]
            if rows:
                connection.execute(insert(conditions), rows)
        return True

    def runs(
        self, target: str, *, branch: str | None = None, limit: int = 20,
        since: datetime | None = None, unnamed_branch: bool = False,
    ) -> list[Run]:
        """The target's runs, newest first; only `branch` when given, only runs outside any
        branch (no git, detached HEAD) with `unnamed_branch`."""
        query = select(runs).where(runs.c.target == target)
        if branch is not None:
            query = query.where(runs.c.branch == branch)
        elif unnamed_branch:
            query = query.where(runs.c.branch.is_(None))
        if since is not None:
            query = query.where(runs.c.started_at >= since)
        query = query.order_by(runs.c.started_at.desc(), runs.c.id.desc()).limit(limit)
        with self._begin() as connection:
            found = connection.execute(query).all()
            figures = self._figures(connection, [row.id for row in found])
        return [
            Run(
                id=row.id, target=row.target, branch=row.branch, commit=row.commit,
                started_at=row.started_at, status=row.status, score=row.score, grade=row.grade,
                figures=figures.get(row.id, {}),
            )
            for row in found
        ]

    @staticmethod
    def _figures(connection: Connection, run_ids: Sequence[int]) -> dict[int, dict[str, Figure]]:
        out: dict[int, dict[str, Figure]] = {}
        if not run_ids:
            return out
        query = select(conditions).where(conditions.c.run_id.in_(run_ids))
        for row in connection.execute(query):
            out.setdefault(row.run_id, {})[f"{row.gate}.{row.condition}"] = Figure(
                value=row.value, status=row.status, unit=row.unit, op=row.op,
                threshold=row.threshold,
            )
        return out

    def builds(self, target: str, since: datetime | None = None) -> list[BuildRecord]:
        """The target's runs (since `since`), oldest first, with whether each build was good."""
        query = (
            select(runs.c.id, runs.c.started_at, runs.c.branch, runs.c.status)
            .where(runs.c.target == target)
            .order_by(runs.c.started_at, runs.c.id)
        )
        if since is not None:
            query = query.where(runs.c.started_at >= since)
        wanted = build_conditions()
        with self._begin() as connection:
            found = connection.execute(query).all()
            figures = self._figures(connection, [row.id for row in found])
        out: list[BuildRecord] = []
        for row in found:
            measured = [figures.get(row.id, {}).get(key) for key in wanted]
            present = [f for f in measured if f is not None and f.status != "skipped"]
            build_ok = (
                all(f.value == 0 and f.status != "error" for f in present) if present else None
            )
            out.append(BuildRecord(row.started_at, row.branch, row.status, build_ok))
        return out

    def scorecard_json(self, run_id: int) -> dict[str, Any]:
        """The whole recorded scorecard of one run."""
        with self._begin() as connection:
            text = connection.execute(
                select(runs.c.scorecard).where(runs.c.id == run_id)
            ).scalar_one()
        data: dict[str, Any] = json.loads(text)
        return data


@contextmanager
def opened(location: StoreLocation) -> Iterator[Store]:
    """The store at `location`, closed afterwards."""
    store = Store(location)
    try:
        yield store
    finally:
        store.close()
