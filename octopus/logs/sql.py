"""The log hot path's raw SQL, named and kept together.

Why raw: storing output is the one place where the ORM's per-row cost shows. On SQLite,
`bulk_create` stores about 75k rows/s; `executemany` on the driver's own connection with
one prepared statement is several times faster (notes/stack-check.md §3). Everything
around it (the run's summary, the cursor, retention, search filters) stays ORM.

Each statement has a version per database vendor where the dialects differ. A conflict on
(run_id, seq) means the line is already stored (a batch sent again after a reconnect):
PostgreSQL and SQLite skip it with ON CONFLICT DO NOTHING, MySQL/MariaDB with INSERT IGNORE.
"""

from __future__ import annotations

# Store a batch of lines, skipping those already stored. SQLite runs it on the sqlite3
# connection itself (qmark placeholders); the others go through Django's cursor.
INSERT_LINES = {
    "sqlite": (
        "INSERT INTO logs_logline (run_id, seq, ts, stream, level, text) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, seq) DO NOTHING"
    ),
    "postgresql": (
        "INSERT INTO logs_logline (run_id, seq, ts, stream, level, text) "
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (run_id, seq) DO NOTHING"
    ),
    "mysql": (
        "INSERT IGNORE INTO logs_logline (run_id, seq, ts, stream, level, text) "
        "VALUES (%s, %s, %s, %s, %s, %s)"
    ),
}

# SQLite full-text index (FTS5, external content: it holds only the index, the text stays
# in logs_logline; created in migration 0002). Every line with id <= indexed_upto is
# indexed and none above it. After each batch, the lines above the watermark are indexed
# with one INSERT … SELECT (several times cheaper than a per-row trigger) and the watermark
# moves up, in the batch's transaction. Deletions go through a trigger (retention and
# cascades delete rows outside this path).
SQLITE_INDEX_NEW_LINES = (
    "INSERT INTO logs_logline_fts (rowid, text) SELECT id, text FROM logs_logline"
    " WHERE id > (SELECT indexed_upto FROM logs_logline_fts_state)"
)
SQLITE_MOVE_WATERMARK = (
    "UPDATE logs_logline_fts_state SET indexed_upto ="
    " MAX(indexed_upto, (SELECT COALESCE(MAX(id), 0) FROM logs_logline))"
)

# The search filter: ids of lines whose text has all the words (see search.py).
SQLITE_FTS_MATCH = "SELECT rowid FROM logs_logline_fts WHERE logs_logline_fts MATCH %s"
