"""Search the stored output of all runs: by job, worker, level, text and time.

The database narrows the search to chunks (models.LogChunk) that can hold a match: in the
retention window and time range, of the job or worker, with a line at the level asked
for, and with the text. Lines are then checked one by one in Python. For the text:
- SQLite: the FTS5 index (migration 0002) finds chunks having every word of the text, or
  a word starting with it ("conn" finds "connection"). Text without such words
  (punctuation only) or in a script written without spaces (Chinese, Japanese, Korean:
  the tokenizer sees a whole run as one word) is matched with LIKE instead.
- PostgreSQL: ILIKE, served by the trigram index.
- Others: LIKE.
A line matches when it contains the text, ignoring case. Results come newest first, a
page at a time, with keyset paging (no OFFSET, no COUNT): every page costs about the same
however deep it is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models import F, Lookup, Q, QuerySet, Value
from django.db.models.expressions import RawSQL

from octopus.lib.logline import LEVELS
from octopus.lib.times import as_utc
from octopus.logs import sql
from octopus.logs.chunks import STREAM_LEVEL, letters_at_least, unpack
from octopus.logs.models import LogChunk
from octopus.runs.models import Run

PAGE_SIZE = 50
SCAN_PAGE = 200  # chunks per query while scanning
MAX_SCAN = 20_000  # chunks looked at for one page; past that the page ends early
MAX_ID = 2**63 - 1  # the largest id a (64-bit) id column holds

# What the unicode61 tokenizer takes as one word: letters and digits (not "_").
_WORD = re.compile(r"[^\W_]+")
# Scripts written without spaces between words.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


class ILike(Lookup):
    """PostgreSQL `text ILIKE pattern`: the form the trigram index serves (Django's
    icontains writes UPPER(text) LIKE UPPER(…), which it does not)."""

    lookup_name = "ilike"

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} ILIKE {rhs}", [*lhs_params, *rhs_params]


@dataclass(frozen=True, slots=True)
class LogQuery:
    text: str = ""
    job_id: int | None = None
    run_id: int | None = None
    worker_id: int | None = None
    min_level: str = "all"  # a LEVELS name, or "all"
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Position:
    """A line in the result order: (chunk time, chunk id, seq). Paging starts past it."""

    ts: datetime
    chunk_id: int
    seq: int

    def token(self) -> str:
        return f"{self.ts.isoformat()}~{self.chunk_id}~{self.seq}"

    @classmethod
    def parse(cls, token: str) -> Position:
        """A position from a page's link; its time in UTC, clamped at the calendar's ends
        (a typed offset may reach past them), and ids a database column can hold."""
        try:
            ts, chunk_id, seq = token.rsplit("~", 2)
            position = cls(as_utc(datetime.fromisoformat(ts)), int(chunk_id), int(seq))
            if not (abs(position.chunk_id) <= MAX_ID and abs(position.seq) <= MAX_ID):
                raise ValueError
        except ValueError:
            raise ValueError(f"not a page position: {token[:40]!r}") from None
        return position


@dataclass(slots=True)
class Hit:
    chunk_id: int
    run_id: int
    seq: int
    ts: datetime
    stream: str
    level: str
    text: str
    job_id: int = 0
    job_name: str = ""
    worker_name: str = ""

    @property
    def position(self) -> Position:
        return Position(self.ts, self.chunk_id, self.seq)


@dataclass(slots=True)
class Page:
    hits: list[Hit] = field(default_factory=list)
    older: Position | None = None  # the next page, further back
    newer: Position | None = None  # the previous page, if this is not the newest
    cut_short: bool = False  # stopped after MAX_SCAN chunks: "Older" goes on from there


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
        return q.filter(id__in=RawSQL(sql.SQLITE_FTS_MATCH, [match]))
    if text.isascii():  # SQLite's LIKE ignores the case of ASCII letters only
        return q.filter(text__icontains=text)
    return q


def matching_chunks(query: LogQuery, now: datetime) -> QuerySet:
    """Chunks that may hold matching lines, within the retention window, in no order."""
    since = now - settings.LOG_RETENTION
    if query.since is not None and query.since > since:
        since = query.since
    q = LogChunk.objects.filter(ts__gte=since)
    if query.until is not None:
        q = q.filter(ts__lte=query.until)
    if query.job_id is not None:
        q = q.filter(run__job_id=query.job_id)
    if query.run_id is not None:
        q = q.filter(run_id=query.run_id)
    if query.worker_id is not None:
        q = q.filter(run__worker_id=query.worker_id)
    if query.min_level != "all":
        q = q.filter(worst__lte=LEVELS.index(query.min_level))
    if query.text.strip():
        q = _text_filter(q, query.text.strip())
    return q


def _chunks(q: QuerySet, newest_first: bool, start: Position | None) -> Iterator[tuple]:
    """(id, run_id, first_seq, ts, kinds, text) of the chunks in result order, from the
    chunk of `start` (included: the caller skips lines before it) on."""
    order = ("-ts", "-id") if newest_first else ("ts", "id")
    fields = ("id", "run_id", "first_seq", "ts", "kinds", "text")
    inclusive = True
    while True:
        page = q
        if start is not None:
            at, ident = start.ts, start.chunk_id
            if newest_first:
                same_ts = Q(id__lte=ident) if inclusive else Q(id__lt=ident)
                page = page.filter(ts__lte=at).filter(Q(ts__lt=at) | same_ts)
            else:
                same_ts = Q(id__gte=ident) if inclusive else Q(id__gt=ident)
                page = page.filter(ts__gte=at).filter(Q(ts__gt=at) | same_ts)
        rows = list(page.order_by(*order).values_list(*fields)[:SCAN_PAGE])
        yield from rows
        if len(rows) < SCAN_PAGE:
            return
        last = rows[-1]
        start, inclusive = Position(last[3], last[0], 0), False


def _scan(
    query: LogQuery, now: datetime, newest_first: bool, start: Position | None, want: int
) -> tuple[list[Hit], Position | None]:
    """Up to `want` hits in result order past `start`; and, when the scan stopped at
    MAX_SCAN chunks, the position to go on from."""
    letters = letters_at_least(query.min_level) if query.min_level != "all" else None
    needle = query.text.strip().lower()
    hits: list[Hit] = []
    scanned = 0
    for chunk_id, run_id, first_seq, ts, kinds, text in _chunks(
        matching_chunks(query, now), newest_first, start
    ):
        lines = list(unpack(first_seq, kinds, text))
        if newest_first:
            lines.reverse()
        skip_past = start.seq if start is not None and chunk_id == start.chunk_id else None
        for seq, kind, line in lines:
            if skip_past is not None and (seq >= skip_past if newest_first else seq <= skip_past):
                continue
            if letters is not None and kind not in letters:
                continue
            if needle and needle not in line.lower():
                continue
            stream, level = STREAM_LEVEL[kind]
            hits.append(Hit(chunk_id, run_id, seq, ts, stream, level, line))
            if len(hits) >= want:
                return hits, None
        scanned += 1
        if scanned >= MAX_SCAN:
            return hits, Position(ts, chunk_id, -1 if newest_first else 2**31)
    return hits, None


def _name_runs(hits: list[Hit]) -> None:
    runs = Run.objects.filter(id__in={h.run_id for h in hits}).values_list(
        "id", "job_id", "job__name", "worker__name"
    )
    names = {run_id: (job_id, job, worker or "") for run_id, job_id, job, worker in runs}
    for hit in hits:
        hit.job_id, hit.job_name, hit.worker_name = names.get(hit.run_id, (0, "", ""))


def search(
    query: LogQuery,
    now: datetime,
    older_than: Position | None = None,
    newer_than: Position | None = None,
    size: int = PAGE_SIZE,
) -> Page:
    """One page of matching lines, newest first: the newest page, or the page just older
    (or newer) than a position taken from a page already shown."""
    if newer_than is not None:
        hits, stopped = _scan(query, now, False, newer_than, size + 1)
        more_newer = len(hits) > size or stopped is not None
        hits = hits[:size][::-1]
        page = Page(hits)
        if hits:
            page.older = hits[-1].position
            if more_newer:
                page.newer = hits[0].position
    else:
        hits, stopped = _scan(query, now, True, older_than, size + 1)
        page = Page(hits[:size], cut_short=stopped is not None)
        if len(hits) > size:
            page.older = page.hits[-1].position
        elif stopped is not None:
            page.older = stopped
        if older_than is not None and page.hits:
            page.newer = page.hits[0].position
    _name_runs(page.hits)
    return page


def highlight(text: str, query_text: str, limit: int = 2000) -> list[tuple[str, bool]]:
    """The text (cut at `limit` characters) as (segment, is_match) pairs, for display."""
    shown = text if len(text) <= limit else text[:limit] + "…"
    needle = query_text.strip()
    if not needle:
        return [(shown, False)]
    parts: list[tuple[str, bool]] = []
    pos = 0
    for m in re.finditer(re.escape(needle), shown, re.IGNORECASE):
        if m.start() > pos:
            parts.append((shown[pos : m.start()], False))
        parts.append((m.group(), True))
        pos = m.end()
    if pos < len(shown):
        parts.append((shown[pos:], False))
    return parts
