"""Log lines are stored in chunks (octopus/logs/models.py says why), with a text index.

The text index that log search uses, one per database vendor:
- SQLite: an FTS5 table with external content (the index only; the text stays in
  logs_logchunk). The ingest path indexes each batch it stores (octopus/logs/sql.py) and
  moves a watermark: every chunk with id <= indexed_upto is indexed, none above it.
  Deleting an unindexed row from an FTS5 index would corrupt it, so the delete trigger
  only touches rows under the watermark; chunks inserted some other way are indexed with
  the next batch. A later migration that rebuilds logs_logchunk on SQLite (Django does
  for some field changes) drops these triggers and must create them again.
- PostgreSQL: a trigram GIN index, which serves ILIKE '%text%'.
- Elsewhere (MySQL/MariaDB) search falls back to LIKE without an index.
"""

import django.db.models.deletion
from django.db import migrations, models

LEVELS = ("fatal", "error", "warn", "info", "debug", "trace")
LETTER = {"fatal": "f", "error": "e", "warn": "w", "info": "i", "debug": "d", "trace": "t",
          "cursor": "c"}


def lines_to_chunks(apps, schema_editor):
    """Each stored line becomes a chunk of one line (the old table goes away)."""
    LogLine = apps.get_model("logs", "LogLine")
    LogChunk = apps.get_model("logs", "LogChunk")
    batch = []
    for line in LogLine.objects.order_by("run_id", "seq").iterator(chunk_size=2000):
        if line.stream == "system":
            kind = "s"
        else:
            kind = LETTER.get(line.level, "i")
            kind = kind.upper() if line.stream == "stderr" else kind
        rank = LEVELS.index(line.level) if line.level in LEVELS else 3
        text = line.text.replace("\n", "\\n")
        batch.append(LogChunk(run_id=line.run_id, first_seq=line.seq, last_seq=line.seq,
                              ts=line.ts, worst=rank, kinds=kind, text=text))
        if len(batch) >= 2000:
            LogChunk.objects.bulk_create(batch)
            batch = []
    LogChunk.objects.bulk_create(batch)


SQLITE_FORWARD = [
    "CREATE VIRTUAL TABLE logs_logchunk_fts USING fts5("
    " text, content='logs_logchunk', content_rowid='id',"
    " tokenize='unicode61 remove_diacritics 2', detail=none)",
    "CREATE TABLE logs_logchunk_fts_state (indexed_upto INTEGER NOT NULL)",
    "INSERT INTO logs_logchunk_fts (logs_logchunk_fts) VALUES ('rebuild')",
    "INSERT INTO logs_logchunk_fts_state (indexed_upto)"
    " SELECT COALESCE(MAX(id), 0) FROM logs_logchunk",
    "CREATE TRIGGER logs_logchunk_fts_delete AFTER DELETE ON logs_logchunk"
    " WHEN old.id <= (SELECT indexed_upto FROM logs_logchunk_fts_state) BEGIN"
    " INSERT INTO logs_logchunk_fts (logs_logchunk_fts, rowid, text)"
    " VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER logs_logchunk_fts_update AFTER UPDATE OF text ON logs_logchunk"
    " WHEN old.id <= (SELECT indexed_upto FROM logs_logchunk_fts_state) BEGIN"
    " INSERT INTO logs_logchunk_fts (logs_logchunk_fts, rowid, text)"
    " VALUES ('delete', old.id, old.text);"
    " INSERT INTO logs_logchunk_fts (rowid, text) VALUES (new.id, new.text); END",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS logs_logchunk_fts_update",
    "DROP TRIGGER IF EXISTS logs_logchunk_fts_delete",
    "DROP TABLE IF EXISTS logs_logchunk_fts_state",
    "DROP TABLE IF EXISTS logs_logchunk_fts",
]

POSTGRESQL_FORWARD = [
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS logs_logchunk_text_trgm ON logs_logchunk"
    " USING gin (text gin_trgm_ops)",
]
POSTGRESQL_BACKWARD = ["DROP INDEX IF EXISTS logs_logchunk_text_trgm"]


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

    dependencies = [
        ('logs', '0001_initial'),
        ('runs', '0002_run_note'),
    ]

    operations = [
        migrations.CreateModel(
            name='LogChunk',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('first_seq', models.PositiveIntegerField()),
                ('last_seq', models.PositiveIntegerField()),
                ('ts', models.DateTimeField()),
                ('worst', models.PositiveSmallIntegerField()),
                ('kinds', models.TextField()),
                ('text', models.TextField()),
                ('run', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='log_chunks', to='runs.run')),
            ],
        ),
        migrations.AddIndex(
            model_name='logchunk',
            index=models.Index(fields=['ts'], name='logchunk_ts'),
        ),
        migrations.AddConstraint(
            model_name='logchunk',
            constraint=models.UniqueConstraint(fields=('run', 'last_seq'), name='logchunk_run_last_seq'),
        ),
        migrations.RunPython(lines_to_chunks, migrations.RunPython.noop, elidable=True),
        migrations.DeleteModel(
            name='LogLine',
        ),
        RunSQLFor("sqlite", SQLITE_FORWARD, SQLITE_BACKWARD),
        RunSQLFor("postgresql", POSTGRESQL_FORWARD, POSTGRESQL_BACKWARD),
    ]
