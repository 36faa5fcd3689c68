"""Databases for end-to-end tests: each Octopus instance gets its own.

With OCTOPUS_DATABASE_URL unset, an instance uses SQLite in its data directory. With it set
to a PostgreSQL or MariaDB server, each instance gets a fresh database on that server
(dropped afterwards), so instances never see each other's rows. Tests read and write through
`InstanceDatabase.query`/`execute`, which take SQLite-style `?` parameters and give rows as
dicts with plain values (times and JSON as text) whatever the database.
"""

from __future__ import annotations

import json
import os
import sqlite3
import uuid
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

CREATED: list[InstanceDatabase] = []


def server_url() -> str:
    return os.environ.get("OCTOPUS_DATABASE_URL", "")


def vendor() -> str:
    scheme = urlsplit(server_url()).scheme.split("+")[0]
    return {"postgres": "postgresql", "mariadb": "mysql", "": "sqlite"}.get(scheme, scheme)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return value


class InstanceDatabase:
    """The database of one Octopus instance (or of several replicas sharing it)."""

    def __init__(self, data_dir: Path) -> None:
        self.vendor = vendor()
        self.sqlite_path = data_dir / "octopus.sqlite3"
        self.name = f"octopus_e2e_{uuid.uuid4().hex[:10]}"
        self.url = ""
        self.server_url = server_url()  # where to create and drop it (the env may change)
        if self.vendor != "sqlite":
            parts = urlsplit(self.server_url)
            self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
            self._admin(f"CREATE DATABASE {self.name}")
            CREATED.append(self)

    def _admin(self, sql: str) -> None:
        parts = urlsplit(self.server_url)
        if self.vendor == "postgresql":
            import psycopg

            with psycopg.connect(
                host=parts.hostname,
                port=parts.port or 5432,
                user=parts.username or "postgres",
                password=parts.password or "",
                dbname=parts.path.lstrip("/") or "postgres",
                autocommit=True,
            ) as conn:
                conn.execute(sql)
        else:
            import pymysql

            conn = pymysql.connect(
                host=parts.hostname,
                port=parts.port or 3306,
                user=parts.username or "root",
                password=parts.password or "",
            )
            with conn:
                conn.cursor().execute(sql)

    def drop(self) -> None:
        if self.vendor == "postgresql":
            self._admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")
        elif self.vendor == "mysql":
            self._admin(f"DROP DATABASE IF EXISTS {self.name}")

    def _connect(self):
        if self.vendor == "sqlite":
            conn = sqlite3.connect(self.sqlite_path, timeout=10)
            conn.row_factory = sqlite3.Row
            return conn
        parts = urlsplit(self.url)
        if self.vendor == "postgresql":
            import psycopg
            from psycopg.rows import dict_row

            return psycopg.connect(
                host=parts.hostname,
                port=parts.port or 5432,
                user=parts.username or "postgres",
                password=parts.password or "",
                dbname=self.name,
                row_factory=dict_row,
            )
        import pymysql

        return pymysql.connect(
            host=parts.hostname,
            port=parts.port or 3306,
            user=parts.username or "root",
            password=parts.password or "",
            database=self.name,
            cursorclass=pymysql.cursors.DictCursor,
            autocommit=True,
        )

    def query(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        conn = self._connect()
        try:
            if self.vendor == "sqlite":
                rows = conn.execute(sql, params).fetchall()
                conn.commit()
                return [dict(zip(row.keys(), row, strict=True)) for row in rows]
            cursor = conn.cursor()
            cursor.execute(sql.replace("?", "%s"), params)
            rows = cursor.fetchall() if cursor.description else []
            conn.commit()
            return [{k: _plain(v) for k, v in row.items()} for row in rows]
        finally:
            conn.close()

    def execute(self, sql: str, *params: Any) -> None:
        self.query(sql, *params)

    def executemany(self, sql: str, rows: list[tuple]) -> None:
        conn = self._connect()
        try:
            if self.vendor == "sqlite":
                conn.executemany(sql, rows)
            else:
                conn.cursor().executemany(sql.replace("?", "%s"), rows)
            conn.commit()
        finally:
            conn.close()


def drop_all_created() -> None:
    """Drop every database this test session created (the servers using them are gone)."""
    while CREATED:
        CREATED.pop().drop()
