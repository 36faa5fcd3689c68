"""Turn OCTOPUS_DATABASE_URL into a Django DATABASES entry (sqlite, postgresql, mysql)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

# Keep connections open: the worker endpoint and the loops touch the database constantly,
# and opening a connection per message was a measurable share of the server's CPU.
PERSISTENT = {"CONN_MAX_AGE": None, "CONN_HEALTH_CHECKS": True}
CHECKOUT = hashlib.sha1(str(Path(__file__).resolve().parents[2]).encode()).hexdigest()[:6]
SQLITE_INIT = "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;"


def sqlite_database(path: Path | str) -> dict[str, Any]:
    return {
        "ENGINE": "octopus.lib.sqlite_backend",
        "NAME": str(path),
        # IMMEDIATE: a writer takes the lock up front instead of failing mid-transaction
        # with "database is locked" when another thread upgraded first.
        "OPTIONS": {"init_command": SQLITE_INIT, "transaction_mode": "IMMEDIATE", "timeout": 10},
        **PERSISTENT,
        "TEST": {"NAME": str(Path(path).with_suffix(".test.sqlite3"))},
    }


def _use_pymysql() -> None:
    """PyMySQL (pure Python, nothing to compile) stands in for mysqlclient."""
    import pymysql

    pymysql.install_as_MySQLdb()


def parse_database_url(url: str, data_dir: Path) -> dict[str, Any]:
    """An empty URL means the embedded default: a SQLite file in the data directory."""
    if not url:
        return sqlite_database(data_dir / "octopus.sqlite3")
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    if scheme == "sqlite":
        return sqlite_database(unquote(parts.path) if parts.path else data_dir / "octopus.sqlite3")
    engines = {
        "postgres": "django.db.backends.postgresql",
        "postgresql": "django.db.backends.postgresql",
        "mysql": "django.db.backends.mysql",
        "mariadb": "django.db.backends.mysql",
    }
    if scheme not in engines:
        raise ValueError(f"unsupported database URL scheme {parts.scheme!r}")
    options: dict[str, Any] = dict(parse_qsl(parts.query))
    if engines[scheme].endswith("mysql"):
        _use_pymysql()
        options.setdefault("charset", "utf8mb4")
        # READ COMMITTED: a conditional UPDATE sees the latest committed row, as on PostgreSQL.
        options.setdefault("isolation_level", "read committed")
    name = unquote(parts.path.lstrip("/"))
    return {
        "ENGINE": engines[scheme],
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "OPTIONS": options,
        **PERSISTENT,
        # Test runs from several checkouts on one machine each get their own test database.
        "TEST": {"NAME": os.environ.get("OCTOPUS_TEST_DATABASE_NAME") or f"test_{name}_{CHECKOUT}"},
    }
