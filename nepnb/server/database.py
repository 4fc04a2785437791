"""The server's database: engines for SQLite and PostgreSQL, and the Alembic migrations.

SQLite runs in WAL mode; a write transaction starts with ``BEGIN IMMEDIATE`` (so that
several server processes on one file wait for each other instead of failing), a read one
with ``BEGIN``. PostgreSQL takes an advisory lock around the migrations, so that server
processes started at once migrate the database once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from nepnb.exceptions import StoreError

MIGRATIONS = Path(__file__).parent / "migrations"
#: Execution option of a connection that will write (SQLite: ``BEGIN IMMEDIATE``).
WRITE = {"nepnb_write": True}
_MIGRATION_LOCK = 0x6E65706E62  # "nepnb"


def default_database_url(home: Path) -> str:
    """The SQLite database in the server's folder."""
    return f"sqlite:///{home / 'server.db'}"


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql://…``)."""
    try:
        parsed = make_url(url)
    except Exception as error:  # SQLAlchemy raises ArgumentError with the URL in it
        raise StoreError(f"not a database URL: {url!r} ({error})") from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if parsed.get_backend_name() == "sqlite":
            if parsed.database:
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(parsed, connect_args={"timeout": 60, "check_same_thread": False})
            _sqlite_transactions(engine)
            return engine
        # No ping before each checkout (a round trip per request): a connection the database
        # dropped fails its request with 503, the pool is emptied, and the client retries.
        return create_engine(parsed, pool_size=8, max_overflow=16)
    except (SQLAlchemyError, ImportError) as error:
        raise StoreError(
            f"cannot use the database {parsed.render_as_string(hide_password=True)}: {error}. "
            "Give sqlite:///PATH or postgresql://USER@HOST/DATABASE."
        ) from None


def _sqlite_transactions(engine: Engine) -> None:
    """Let SQLAlchemy, not pysqlite, begin transactions (savepoints need it), in WAL mode."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=60000")
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        write = connection.get_execution_options().get("nepnb_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _alembic_config(connection: Any) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the database's schema to ``revision`` (default: the newest)."""
    try:
        _migrate(engine, revision)
    except OperationalError as error:
        where = engine.url.render_as_string(hide_password=True)
        raise StoreError(f"cannot reach the database {where}: {error.orig}") from None


def _migrate(engine: Engine, revision: str) -> None:
    from alembic import command

    with engine.connect().execution_options(**WRITE) as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK})
            connection.commit()
        try:
            command.upgrade(_alembic_config(connection), revision)
            connection.commit()
        finally:
            if connection.dialect.name == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK}
                )
                connection.commit()


def current_revision(engine: Engine) -> str | None:
    """The schema revision of the database (None when empty)."""
    from alembic.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
