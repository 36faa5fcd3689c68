"""The log hot path's raw SQL, named and kept together.

Why raw: storing output is the one place where the ORM's per-row cost shows. `bulk_create`
builds a model instance per row and SQL per batch; `executemany` with one prepared
statement on the driver's own connection does neither (about ten times faster on SQLite,
measured). Everything around it (the run's summary, the cursor, retention,
reads and search filters) stays ORM.

A statement has a version per database vendor where the dialects differ. A conflict on
(run_id, last_seq) means the chunk is already stored (a batch sent again after a
reconnect): PostgreSQL and SQLite skip it with ON CONFLICT DO NOTHING, MySQL/MariaDB
with INSERT IGNORE.
"""

from __future__ import annotations

from django.db import connection

# Store a batch of chunks, skipping those already stored. SQLite runs it on the sqlite3
# connection itself (qmark placeholders, no per-row work in Django's cursor wrapper); the
# others go through Django's cursor.
INSERT_CHUNKS = {
    "sqlite": (
        "INSERT INTO logs_logchunk (run_id, first_seq, last_seq, ts, worst, kinds, text)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, last_seq) DO NOTHING"
    ),
    "postgresql": (
        "INSERT INTO logs_logchunk (run_id, first_seq, last_seq, ts, worst, kinds, text)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (run_id, last_seq) DO NOTHING"
    ),
    "mysql": (
        "INSERT IGNORE INTO logs_logchunk (run_id, first_seq, last_seq, ts, worst, kinds, text)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s)"
    ),
}

# SQLite full-text index (FTS5, external content: it holds only the index, the text stays
# in logs_logchunk; created in migration 0002). Every chunk with id <= indexed_upto is
# indexed and none above it. After each batch, the chunks above the watermark are indexed
# with one INSERT … SELECT and the watermark moves up, in the batch's transaction.
# Deletions go through a trigger (retention and cascades delete rows outside this path).
SQLITE_INDEX_NEW_CHUNKS = (
    "INSERT INTO logs_logchunk_fts (rowid, text) SELECT id, text FROM logs_logchunk"
    " WHERE id > (SELECT indexed_upto FROM logs_logchunk_fts_state)"
)
SQLITE_MOVE_WATERMARK = (
    "UPDATE logs_logchunk_fts_state SET indexed_upto ="
    " MAX(indexed_upto, (SELECT COALESCE(MAX(id), 0) FROM logs_logchunk))"
)

# Search: ids of chunks whose text has every word of the query (see search.py).
SQLITE_FTS_MATCH = "SELECT rowid FROM logs_logchunk_fts WHERE logs_logchunk_fts MATCH %s"


def insert_chunks(rows: list[tuple]) -> None:
    """Store chunk rows (run_id, first_seq, last_seq, ts, worst, kinds, text), skipping
    those already stored, inside the caller's transaction."""
    vendor = connection.vendor
    if vendor == "sqlite":
        connection.ensure_connection()
        db = connection.connection  # the sqlite3 connection, inside Django's transaction
        db.executemany(INSERT_CHUNKS["sqlite"], rows)
        db.execute(SQLITE_INDEX_NEW_CHUNKS)
        db.execute(SQLITE_MOVE_WATERMARK)
        return
    with connection.cursor() as cursor:
        cursor.executemany(INSERT_CHUNKS.get(vendor, INSERT_CHUNKS["postgresql"]), rows)
