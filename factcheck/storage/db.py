"""The database handle: Flask-SQLAlchemy's engine and session, and SQLite's connection settings.

A leaf: it knows nothing of HTTP, the models or the use cases. Whether a transaction writes is
told by store.unit_of_work through `writing`, before the transaction begins.
"""

from contextvars import ContextVar
from typing import Any

from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Engine, event
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()

# True inside a unit of work: its transaction will write.
writing: ContextVar[bool] = ContextVar("factcheck_db_writing", default=False)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    # pysqlite's own transaction handling is turned off so that `_begin` below decides.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin(connection: Any) -> None:
    if connection.dialect.name != "sqlite":
        return
    # A deferred transaction that reads and then writes fails at once (SQLITE_BUSY) when another
    # writer got in between; taking the write lock up front makes concurrent writers queue instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writing.get() else "BEGIN")
