"""The text index that log search uses, one per database vendor.

SQLite: an FTS5 table with external content (the index only; the text stays in
logs_logline). The ingest path indexes each batch it stores (octopus/logs/sql.py) and
moves a watermark: every line with id <= indexed_upto is indexed, none above it. Deleting
an unindexed row from an FTS5 index would corrupt it, so the delete trigger only touches
rows under the watermark; lines inserted some other way are indexed with the next batch.
PostgreSQL: a trigram GIN index, which serves ILIKE '%text%'. Elsewhere (MySQL/MariaDB)
search falls back to LIKE without an index.
"""

from django.db import migrations

SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE logs_logline_fts USING fts5("
    " text, content='logs_logline', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 2', detail=none)",
    "CREATE TABLE logs_logline_fts_state (indexed_upto INTEGER NOT NULL)",
    "INSERT INTO logs_logline_fts (logs_logline_fts) VALUES ('rebuild')",
    "INSERT INTO logs_logline_fts_state (indexed_upto)"
    " SELECT COALESCE(MAX(id), 0) FROM logs_logline",
    "CREATE TRIGGER logs_logline_fts_delete AFTER DELETE ON logs_logline"
    " WHEN old.id <= (SELECT indexed_upto FROM logs_logline_fts_state) BEGIN"
    " INSERT INTO logs_logline_fts (logs_logline_fts, rowid, text)"
    " VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER logs_logline_fts_update AFTER UPDATE OF text ON logs_logline"
    " WHEN old.id <= (SELECT indexed_upto FROM logs_logline_fts_state) BEGIN"
    " INSERT INTO logs_logline_fts (logs_logline_fts, rowid, text)"
    " VALUES ('delete', old.id, old.text);"
    " INSERT INTO logs_logline_fts (rowid, text) VALUES (new.id, new.text); END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS logs_logline_fts_update",
    "DROP TRIGGER IF EXISTS logs_logline_fts_delete",
    "DROP TABLE IF EXISTS logs_logline_fts_state",
    "DROP TABLE IF EXISTS logs_logline_fts",
]

POSTGRESQL_FORWARD = [
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS logs_logline_text_trgm ON logs_logline"
    " USING gin (text gin_trgm_ops)",
]
POSTGRESQL_BACKWARD = ["DROP INDEX IF EXISTS logs_logline_text_trgm"]


class RunSQLFor(migrations.RunSQL):
    """RunSQL on one database vendor only."""

    def __init__(self, vendor, sql, reverse_sql):
        super().__init__(sql, reverse_sql)
        self.vendor = vendor

    def deconstruct(self):
        return (self.__class__.__name__, [self.vendor, self.sql, self.reverse_sql], {})

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class Migration(migrations.Migration):
    dependencies = [("logs", "0001_initial")]

    operations = [
        RunSQLFor("sqlite", SQLITE_FORWARD, SQLITE_BACKWARD),
        RunSQLFor("postgresql", POSTGRESQL_FORWARD, POSTGRESQL_BACKWARD),
    ]
