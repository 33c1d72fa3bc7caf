"""The database handle: Flask-SQLAlchemy's engine and session, and how long it may wait.

A leaf: it knows nothing of HTTP, the models or the use cases. Whether a transaction writes is
told by store.unit_of_work through `writing`, before the transaction begins. Every wait on the
database is bounded by the DATABASE_*_TIMEOUT settings (`engine_options`), so a database that is
locked, refuses connections or stops answering raises an error (OperationalError, TimeoutError)
within a budget instead of holding the request.
"""

import fcntl
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import psycopg
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from psycopg.abc import PQGen
from sqlalchemy import Engine, Pool, event
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, UOWTransaction


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()

# True inside a unit of work: its transaction will write.
writing: ContextVar[bool] = ContextVar("factcheck_db_writing", default=False)

# A connect argument of ours, taken out before psycopg sees the rest (`_connect`).
ANSWER_TIMEOUT = "factcheck_answer_timeout"
# The server cancels a statement at DATABASE_STATEMENT_TIMEOUT; the client waits this much longer
# for that answer before it gives the connection up (a network that drops packets sends none).
ANSWER_MARGIN = 1.0


def engine_options(settings: Mapping[str, Any]) -> dict[str, Any]:
    """SQLAlchemy's engine options for DATABASE_URL, with the settings' time budgets."""
    options: dict[str, Any] = {"pool_timeout": settings["DATABASE_POOL_TIMEOUT"]}
    if str(settings["DATABASE_URL"]).startswith("sqlite"):
        # A file is never cut off; its connections are pinged as before, at no cost.
        options["pool_pre_ping"] = True
        # pysqlite's timeout is SQLite's busy timeout: how long to wait for another writer's lock.
        options["connect_args"] = {"timeout": settings["DATABASE_LOCK_TIMEOUT"]}
        return options
    statement = settings["DATABASE_STATEMENT_TIMEOUT"]
    server_settings = {
        "statement_timeout": _milliseconds(statement),
        "lock_timeout": _milliseconds(settings["DATABASE_LOCK_TIMEOUT"]),
        # No JIT: it compiles a plan whose estimate passes jit_above_cost, and a search over a
        # million fact-checks spent 205 ms compiling a join that then ran in 30 ms.
        "jit": "off",
    }
    options["connect_args"] = {
        "connect_timeout": max(2, round(settings["DATABASE_CONNECT_TIMEOUT"])),
        "options": " ".join(f"-c {name}={value}" for name, value in server_settings.items()),
        ANSWER_TIMEOUT: statement + ANSWER_MARGIN,
    }
    return options


def _milliseconds(seconds: float) -> int:
    return max(1, round(seconds * 1000))


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection that waits at most `answer_timeout` seconds for any answer.

    statement_timeout is the server's: it cannot help when packets are dropped on the way, and
    neither can TCP keepalives when a proxy in between keeps acknowledging. Past the wait the
    connection is closed (its protocol state is unknown) and the error is an OperationalError,
    which SQLAlchemy takes for a disconnect: the pool drops this and its older connections.
    """

    answer_timeout: float | None = None

    def wait(self, gen: PQGen[Any], interval: float = 0.1, timeout: float | None = None) -> Any:
        limit = self.answer_timeout if timeout is None else timeout
        try:
            return super().wait(gen, interval, limit)
        except psycopg.errors._WaitTimeout:
            self.pgconn.finish()
            raise psycopg.OperationalError(
                f"the database did not answer within {limit:g} s"
            ) from None


def unbounded(dbapi_connection: Any) -> None:
    """PostgreSQL: this connection without the requests' time budgets (no statement timeout, no
    limit on the wait for an answer), for an operator's long step: a migration building an
    index over a hundred million postings, or a generated load."""
    if isinstance(dbapi_connection, BoundedConnection):
        dbapi_connection.answer_timeout = None
    dbapi_connection.execute("SET statement_timeout = 0")


@event.listens_for(Engine, "do_connect")
def _connect(dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
    if dialect.driver != "psycopg" or ANSWER_TIMEOUT not in cparams:
        return None  # SQLAlchemy connects as usual
    # The same dict serves every connection of the engine: read it, never change it.
    params = {name: value for name, value in cparams.items() if name != ANSWER_TIMEOUT}
    connection = BoundedConnection.connect(*cargs, **params)
    connection.answer_timeout = cparams[ANSWER_TIMEOUT]
    return connection


# --- PostgreSQL: a pooled connection is pinged when it idled, not at every checkout ------------

# A connection back in the pool for longer than this is pinged before a request gets it. One
# used a moment ago is handed out as it is: under load that is every checkout, and a ping was a
# round trip each (two per write). If it died meanwhile, its first statement fails as a
# disconnect, the pool drops it and its older connections, and the request answers 503 within
# the same budgets as a failed ping (tests/test_db_faults.py).
PING_AFTER = 1.0
_RETURNED = "factcheck_returned"


@event.listens_for(Pool, "checkin")
def _checked_in(dbapi_connection: Any, record: Any) -> None:
    if isinstance(dbapi_connection, psycopg.Connection):
        record.info[_RETURNED] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    if not isinstance(dbapi_connection, psycopg.Connection):
        return
    returned = record.info.pop(_RETURNED, None)
    if returned is None or time.monotonic() - returned < PING_AFTER:
        return  # a new connection, or one in use a moment ago
    try:
        # Like SQLAlchemy's pre-ping: the transaction psycopg begins is the request's own.
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except psycopg.Error as error:
        # The pool replaces the connection and tries again (a new one is not pinged).
        raise DisconnectionError(f"a pooled connection is gone: {error}") from error


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    # pysqlite's own transaction handling is turned off so that `_begin` below decides.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs the log at checkpoints instead of at every commit: a commit is
    # still atomic and survives the process being killed; only a power loss or OS crash may
    # roll back the last few commits, and it never corrupts the file (SQLite's documentation of
    # PRAGMA synchronous). An fsync per commit was most of a write's time with writers queued.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin(connection: Any) -> None:
    if connection.dialect.name != "sqlite":
        return
    # A deferred transaction that reads and then writes fails at once (SQLITE_BUSY) when another
    # writer got in between; taking the write lock up front makes concurrent writers queue instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing.get() else "BEGIN")


# --- SQLite: writers take turns in a queue of their own ----------------------------------------

# How often a writer of another process's turn looks again; SQLite's own busy handler sleeps up
# to 100 ms between tries, leaving the write lock idle while every writer sleeps.
TURN_POLL = 0.0005


class _Turns:
    """One SQLite file's writers, in turn: this process's threads on a lock, then one of them at a
    time on an flock of a file beside the database, shared with the other processes."""

    def __init__(self, path: str) -> None:
        self.path = path + ".writers"
        self.threads = threading.Lock()
        self.fd: int | None = None
        self.pid = 0

    def _file(self) -> int:
        if self.fd is None or self.pid != os.getpid():
            # A forked child must not share its parent's open file: flock would count them as one.
            self.fd, self.pid = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
        return self.fd

    @contextmanager
    def turn(self, timeout: float) -> Iterator[None]:
        deadline = time.monotonic() + timeout
        if not self.threads.acquire(timeout=timeout):
            raise _locked()
        try:
            fd = self._file()
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise _locked() from None
                    time.sleep(TURN_POLL)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            self.threads.release()


def _locked() -> OperationalError:
    # What SQLite itself raises past its busy timeout, so it is answered the same way (503).
    return OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))


_turns: dict[str, _Turns] = {}
_turns_lock = threading.Lock()


@contextmanager
def writer_turn(engine: Engine, timeout: float) -> Iterator[None]:
    """Around a write transaction: on a SQLite file, wait for this writer's turn (at most
    `timeout` seconds) so that BEGIN IMMEDIATE finds the lock free; elsewhere nothing."""
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if not path or path == ":memory:":
        yield
        return
    with _turns_lock:
        turns = _turns.setdefault(path, _Turns(path))
    with turns.turn(timeout):
        yield


# --- after a commit, the tables it wrote (for web/faults.py's test fault) ----------------------

_WRITTEN = "factcheck_written_tables"
_commit_listeners: list[Callable[[frozenset[str]], None]] = []


def on_commit(listener: Callable[[frozenset[str]], None]) -> None:
    """Call `listener` after every commit of the session, with the tables that transaction wrote
    (ORM flushes and INSERT/UPDATE/DELETE statements)."""
    if not _commit_listeners:
        event.listen(Session, "after_flush", _flushed)
        event.listen(Session, "do_orm_execute", _executed)
        event.listen(Session, "after_commit", _committed)
        event.listen(Session, "after_rollback", _forget)
    _commit_listeners.append(listener)


def _flushed(session: Session, _flush: UOWTransaction) -> None:
    written = session.info.setdefault(_WRITTEN, set())
    for instance in (*session.new, *session.dirty, *session.deleted):
        written.add(instance.__table__.name)


def _executed(state: ORMExecuteState) -> None:
    table = getattr(state.statement, "table", None)
    if (state.is_insert or state.is_update or state.is_delete) and table is not None:
        state.session.info.setdefault(_WRITTEN, set()).add(table.name)


def _committed(session: Session) -> None:
    written = frozenset(session.info.pop(_WRITTEN, ()))
    for listener in _commit_listeners:
        listener(written)


def _forget(session: Session) -> None:
    session.info.pop(_WRITTEN, None)
