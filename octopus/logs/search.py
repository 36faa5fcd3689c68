"""Search the stored output of all runs: by job, worker, level, text and time.

Text search finds lines containing the text (case-insensitive for Latin letters). How it
gets there depends on the database:
- SQLite: the FTS5 index (migration 0002) narrows to lines having every word of the text,
  or a word starting with it ("conn" finds "connection"); LIKE then keeps the lines with
  the exact text. Text without such words (punctuation only) or in a script written without
  spaces (Chinese, Japanese, Korean: the tokenizer sees a whole run as one word) is matched
  with LIKE alone, which scans the lines the other filters leave.
- PostgreSQL: ILIKE, served by the trigram index.
- Others: LIKE.
Results come newest first, a page at a time, with keyset paging (no OFFSET, no COUNT), so
every page costs the same however deep it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models import F, Lookup, Q, QuerySet, Value
from django.db.models.expressions import RawSQL

from octopus.logs import sql
from octopus.logs.models import LogLine
from octopus.logs.reading import levels_at_least

PAGE_SIZE = 50

# What the unicode61 tokenizer takes as one word: letters and digits (not "_").
_WORD = re.compile(r"[^\W_]+")
# Scripts written without spaces between words.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


class ILike(Lookup):
    """PostgreSQL `text ILIKE pattern`: the form the trigram index serves (Django's
    icontains writes UPPER(text) LIKE UPPER(…), which it does not)."""

    lookup_name = "ilike"

    def as_sql(self, compiler, connection):  # type: ignore[no-untyped-def]
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ILIKE {rhs}", [*lhs_params, *rhs_params]


@dataclass(frozen=True, slots=True)
class LogQuery:
    text: str = ""
    job_id: int | None = None
    worker_id: int | None = None
    min_level: str = "all"  # a LEVELS name, or "all"
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Position:
    """Where a page starts: just past the line at (ts, id) in the paging direction."""

    ts: datetime
    id: int

    def token(self) -> str:
        return f"{self.ts.isoformat()}~{self.id}"

    @classmethod
    def parse(cls, token: str) -> Position:
        try:
            ts, ident = token.rsplit("~", 1)
            return cls(datetime.fromisoformat(ts), int(ident))
        except ValueError:
            raise ValueError(f"not a page position: {token[:40]!r}") from None


@dataclass(slots=True)
class Page:
    lines: list[LogLine] = field(default_factory=list)
    older: Position | None = None  # the next page, further back
    newer: Position | None = None  # the previous page, if this is not the newest


def fts_query(text: str) -> str | None:
    """The FTS5 MATCH expression for the text: every word, as a word or a word's start.
    None when the index cannot help (no words, or a script written without spaces)."""
    if _UNSPACED.search(text):
        return None
    words = _WORD.findall(text)
    if not words:
        return None
    # Quoted, so a word is never read as an FTS operator (AND, NEAR, column:...).
    return " ".join(f'"{word}"*' for word in words)


def _escape_like(text: str) -> str:
    return re.sub(r"([\\%_])", r"\\\1", text)


def _text_filter(q: QuerySet, text: str) -> QuerySet:
    vendor = connection.vendor
    if vendor == "postgresql":
        return q.filter(ILike(F("text"), Value(f"%{_escape_like(text)}%")))
    if vendor == "sqlite" and (match := fts_query(text)) is not None:
        q = q.filter(id__in=RawSQL(sql.SQLITE_FTS_MATCH, [match]))
    return q.filter(text__icontains=text)


def matching(query: LogQuery, now: datetime) -> QuerySet:
    """The lines matching the query within the retention window, in no particular order."""
    since = now - settings.LOG_RETENTION
    if query.since is not None and query.since > since:
        since = query.since
    q = LogLine.objects.filter(ts__gte=since)
    if query.until is not None:
        q = q.filter(ts__lte=query.until)
    if query.job_id is not None:
        q = q.filter(run__job_id=query.job_id)
    if query.worker_id is not None:
        q = q.filter(run__worker_id=query.worker_id)
    if query.min_level != "all":
        q = q.filter(level__in=levels_at_least(query.min_level))
    if query.text.strip():
        q = _text_filter(q, query.text.strip())
    return q


def search(
    query: LogQuery,
    now: datetime,
    older_than: Position | None = None,
    newer_than: Position | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """One page of matching lines, newest first: the newest page, or the page just older
    (or newer) than a position taken from a page already shown."""
    q = matching(query, now).select_related("run__job", "run__worker")
    if newer_than is not None:
        at = newer_than
        q = q.filter(ts__gte=at.ts).filter(Q(ts__gt=at.ts) | Q(id__gt=at.id))
        lines = list(q.order_by("ts", "id")[: size + 1])
        more_newer = len(lines) > size
        lines = lines[:size][::-1]
        page = Page(lines)
        if more_newer and lines:
            page.newer = Position(lines[0].ts, lines[0].id)
        if lines:
            page.older = Position(lines[-1].ts, lines[-1].id)
        return page
    if older_than is not None:
        at = older_than
        q = q.filter(ts__lte=at.ts).filter(Q(ts__lt=at.ts) | Q(id__lt=at.id))
    lines = list(q.order_by("-ts", "-id")[: size + 1])
    page = Page(lines[:size])
    if len(lines) > size:
        last = page.lines[-1]
        page.older = Position(last.ts, last.id)
    if older_than is not None and page.lines:
        first = page.lines[0]
        page.newer = Position(first.ts, first.id)
    return page


def highlight(text: str, query_text: str, limit: int = 2000) -> list[tuple[str, bool]]:
    """The text (cut at `limit` characters) as (segment, is_match) pairs, for display."""
    shown = text if len(text) <= limit else text[:limit] + "…"
    needles = [query_text.strip()] if query_text.strip() else []
    needles += [w for w in _WORD.findall(query_text) if w not in needles]
    needles = [n for n in needles if n]
    if not needles:
        return [(shown, False)]
    pattern = re.compile("|".join(re.escape(n) for n in needles), re.IGNORECASE)
    parts: list[tuple[str, bool]] = []
    pos = 0
    for m in pattern.finditer(shown):
        if m.start() > pos:
            parts.append((shown[pos : m.start()], False))
        parts.append((m.group(), True))
        pos = m.end()
    if pos < len(shown):
        parts.append((shown[pos:], False))
    return parts
