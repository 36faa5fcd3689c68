"""Store a batch of a run's output lines: the log hot path.

Lines arrive from our agent as blocks, [first_seq, ts, stream, text of lines joined by
"\n"], or from other clients one by one as [seq, ts, stream, text], in seq order. Storing is
idempotent: lines at or below the highest seq already stored for the run are skipped (a
batch sent again after a reconnect adds nothing; lines of a run arrive in order, so such
a line is stored already or will never be), and (run, last_seq) is unique as a backstop.
While storing, lines are read for what they mean to the run: the level in the original
format, an end marker (code 120), a cursor checkpoint. Lines are packed into chunks
(chunks.py) and inserted with raw SQL (sql.py says why); the rest is the ORM. After the
transaction commits, this process's live viewers of the run are nudged (others poll).
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest

from octopus import events
from octopus.jobs.models import Job
from octopus.lib.logline import CODE_END, parse_line
from octopus.logs import sql
from octopus.logs.chunks import KIND_RANK, LEVEL_LETTER, kind_of, packed_kinds
from octopus.runs.models import Run
from octopus_agent import protocol

log = logging.getLogger("octopus.logs")

MARKER = "…[line cut at {} bytes]"
MAX_SEQ = 2**31 - 1  # the column is a 32-bit integer on PostgreSQL and MySQL
MAX_TS = 253402300799.0  # 9999-12-31T23:59:59Z, the last time a datetime can hold
CHUNK_LINES = 5000  # lines per chunk, at most
CHUNK_CHARS = 512 * 1024  # text per chunk, about: a reader fetches whole chunks
STDOUT, STDERR, SYSTEM = protocol.STDOUT, protocol.STDERR, protocol.SYSTEM
_TIME_SEP = ("/", "-")
# A line after the first that starts like a time (searched for from its newline: a literal
# start makes the search several times faster than a multi-line "^").
_TIMESTAMPED = re.compile(r"\n\d{4}[/-]")


def bounded(text: str) -> str:
    """The text as it may be stored: one line of at most LOG_LINE_MAX_BYTES of UTF-8, cut
    with a visible marker; NUL and newlines escaped. The worker already cuts and escapes;
    this guards the database against any client."""
    limit = settings.LOG_LINE_MAX_BYTES
    if len(text) > limit // 4:  # cheap test first: a character is at most 4 bytes
        data = text.encode("utf-8", "surrogatepass")
        if len(data) > limit:
            text = data[:limit].decode("utf-8", "ignore") + " " + MARKER.format(limit)
    if "\x00" in text:  # PostgreSQL refuses NUL in text
        text = text.replace("\x00", "\\x00")
    if "\n" in text:  # newlines separate the lines of a chunk
        text = text.replace("\n", "\\n")
    return text


# Consecutive lines of a run sharing one time: (first_seq, last_seq, ts, kinds, text), the
# texts joined by "\n" and kinds packed as in a chunk (chunks.py). What is stored as a chunk.
Block = tuple[int, int, float, str, str]


@dataclass(slots=True)
class Batch:
    """A batch read and checked: its lines as blocks in seq order, none overlapping."""

    blocks: list[Block] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # why entries were refused
    entry: str = "line"  # what an entry was: a line or a block
    # Lines that mean something to the run: (seq, "end" or "cursor", cursor value).
    marks: list[tuple[int, str, str]] = field(default_factory=list)

    def kind(self, seq: int, stream: str, text: str) -> str:
        """The line's letter (chunks.py): stream and level. Notes end and cursor lines."""
        if stream != STDOUT and stream != STDERR:
            return kind_of(stream, "warn" if stream == SYSTEM else "info")
        # The original format starts with the time, YYYY/… or YYYY-…: other lines are not
        # parsed at all, which keeps ingestion fast.
        if text[4:5] in _TIME_SEP and text[:4].isdigit():
            parsed = parse_line(text, stream)
            if parsed.level == "cursor":
                self.marks.append((seq, "cursor", parsed.content))
            elif parsed.code == CODE_END:
                self.marks.append((seq, "end", ""))
            letter = LEVEL_LETTER[parsed.level]
        else:
            letter = "w" if stream == STDERR else "i"
        return letter.upper() if stream == STDERR else letter

    def block_kinds(self, first: int, stream: str, text: str, count: int) -> str:
        """kind() for each of a block's lines, packed. Only lines starting like a time
        are looked at one by one (found by a regular expression over the whole text)."""
        if stream != STDOUT and stream != STDERR:
            return kind_of(stream, "warn" if stream == SYSTEM else "info")
        default = "W" if stream == STDERR else "i"
        starts = [0] if text[4:5] in _TIME_SEP and text[:4].isdigit() else []
        starts += [match.start() + 1 for match in _TIMESTAMPED.finditer(text)]
        letters: list[str] | None = None
        line_no = pos = 0
        for start in starts:
            line_no += text.count("\n", pos, start)
            pos = start
            end = text.find("\n", start)
            letter = self.kind(first + line_no, stream, text[start : end if end >= 0 else None])
            if letter != default:
                letters = letters or [default] * count
                letters[line_no] = letter
        return packed_kinds(letters) if letters else default


def _usable_time(ts: Any, now: float) -> float:
    """The time as a float, or `now` if it is none a datetime can hold: a bad time must
    not lose the line."""
    try:
        ts = float(ts)
    except (TypeError, ValueError):
        return now
    return ts if 0 < ts < MAX_TS else now  # the test is also false for NaN


def _normalised(entry: Any, now: float, long_line: int) -> tuple[int, float, str, str] | str:
    """(seq, ts, stream, text) of an entry that is not plainly well formed, or why it
    cannot be stored."""
    try:
        seq, ts, stream, text = entry
        seq = int(seq)
    except (TypeError, ValueError):
        return f"not [seq, ts, stream, text]: {str(entry)[:80]}"
    if not 0 < seq <= MAX_SEQ:
        return f"sequence number out of range: {seq}"
    ts = _usable_time(ts, now)
    text = text if type(text) is str else str(text)
    if len(text) > long_line or "\x00" in text or "\n" in text:
        text = bounded(text)
    return seq, ts, str(stream), text


def read_batch(lines: list) -> Batch:
    """Check and normalise line entries, [seq, ts, stream, text]; those that cannot be
    stored are listed in `rejected` with the reason, the others kept."""
    batch = Batch()
    out: list[tuple[int, float, str, str]] = []
    now = time.time()
    long_line = settings.LOG_LINE_MAX_BYTES // 4  # characters; shorter is never too long
    for entry in lines:
        # The worker's lines take the first branch; anything else the careful one.
        if (
            type(entry) is list
            and len(entry) == 4
            and type(seq := entry[0]) is int
            and 0 < seq <= MAX_SEQ
            and type(ts := entry[1]) is float
            and 0 < ts < MAX_TS
            and type(text := entry[3]) is str
            and len(text) <= long_line
            and "\x00" not in text
            and "\n" not in text
        ):
            out.append((seq, ts, batch.kind(seq, entry[2], text), text))
            continue
        checked = _normalised(entry, now, long_line)
        if isinstance(checked, str):
            batch.rejected.append(checked)
            continue
        seq, ts, stream, text = checked
        out.append((seq, ts, batch.kind(seq, stream, text), text))
    out.sort(key=itemgetter(0))  # in order already, as a rule: then this is cheap
    batch.blocks = blocks_of(out)
    return batch


def read_blocks(entries: list) -> Batch:
    """Check and normalise block entries, [first_seq, ts, stream, text] where text holds
    consecutive lines joined by "\n" (what our agent sends: the per-line work is then a
    few scans of each block's text, in C). Those that cannot be stored are listed in
    `rejected`; overlapping blocks keep the lines first seen."""
    batch = Batch(entry="block")
    now = time.time()
    long_line = settings.LOG_LINE_MAX_BYTES // 4
    blocks: list[Block] = []
    for entry in entries:
        if type(entry) is not list or len(entry) != 4 or type(entry[3]) is not str:
            batch.rejected.append(f"not [first_seq, ts, stream, text]: {str(entry)[:80]}")
            continue
        first, ts, stream, text = entry
        try:
            first = int(first)
        except (TypeError, ValueError):
            batch.rejected.append(f"not a sequence number: {str(first)[:80]}")
            continue
        count = text.count("\n") + 1
        if not (first > 0 and first + count - 1 <= MAX_SEQ):
            batch.rejected.append(f"sequence numbers out of range: {first}")
            continue
        ts = _usable_time(ts, now)
        if "\x00" in text:  # PostgreSQL refuses NUL in text
            text = text.replace("\x00", "\\x00")
        if len(text) > long_line:
            texts = text.split("\n")
            if max(map(len, texts)) > long_line:
                text = "\n".join(bounded(t) if len(t) > long_line else t for t in texts)
        kinds = batch.block_kinds(first, str(stream), text, count)
        blocks += _sized((first, first + count - 1, ts, kinds, text))
    blocks.sort(key=itemgetter(0))  # in order already, as a rule: then this is cheap
    upto = 0
    for block in blocks:
        kept = _after(block, upto)
        if kept is not None:
            batch.blocks.append(kept)
            upto = kept[1]
    return batch


def _after(block: Block, seq: int) -> Block | None:
    """The block's lines with a seq above `seq`, or None if there are none."""
    first, last, ts, kinds, text = block
    if last <= seq:
        return None
    if first > seq:
        return block
    skip = seq - first + 1
    texts = text.split("\n")[skip:]
    kinds = kinds if len(kinds) == 1 else packed_kinds(list(kinds[skip:]))
    return (seq + 1, last, ts, kinds, "\n".join(texts))


def _sized(block: Block) -> list[Block]:
    """The block as chunks of at most CHUNK_LINES lines and about CHUNK_CHARS of text."""
    first, last, ts, kinds, text = block
    if last - first < CHUNK_LINES and len(text) <= CHUNK_CHARS:
        return [block]
    letters = kinds * (last - first + 1) if len(kinds) == 1 else kinds
    return blocks_of([(first + i, ts, letters[i], line) for i, line in enumerate(text.split("\n"))])


class _Stamps:
    """UTC times as SQLite stores a DateTimeField ("YYYY-MM-DD HH:MM:SS.ffffff")."""

    def __call__(self, ts: float) -> str:
        whole = int(ts)
        micro = int((ts - whole) * 1_000_000 + 0.5)
        if micro >= 1_000_000:
            whole, micro = whole + 1, micro - 1_000_000
        return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(whole)) + f".{micro:06d}"


def _adapted_time(ts: float) -> Any:
    return connection.ops.adapt_datetimefield_value(datetime.fromtimestamp(ts, UTC))


def blocks_of(lines: list[tuple[int, float, str, str]]) -> list[Block]:
    """Lines (seq, ts, kind, text) in seq order as blocks: a new block where the time
    changes, a seq is skipped, or the block is a full chunk. A seq seen twice keeps its
    first line."""
    blocks: list[Block] = []
    first = prev = -1
    block_ts = 0.0
    kinds: list[str] = []
    texts: list[str] = []
    size = 0
    for seq, ts, kind, text in lines:
        if seq == prev:
            continue  # the same line twice in one batch
        if seq == prev + 1 and ts == block_ts and size < CHUNK_CHARS and len(texts) < CHUNK_LINES:
            kinds.append(kind)
            texts.append(text)
            size += len(text)
        else:
            if texts:
                blocks.append((first, prev, block_ts, packed_kinds(kinds), "\n".join(texts)))
            first, block_ts, kinds, texts, size = seq, ts, [kind], [text], len(text)
        prev = seq
    if texts:
        blocks.append((first, prev, block_ts, packed_kinds(kinds), "\n".join(texts)))
    return blocks


def chunk_rows(run_id: int, blocks: list[Block], stamp: Any) -> list[tuple]:
    """Chunk rows (run_id, first_seq, last_seq, ts, worst, kinds, text) for the blocks."""
    return [
        (run_id, first, last, stamp(ts), min(KIND_RANK[k] for k in set(kinds)), kinds, text)
        for first, last, ts, kinds, text in blocks
    ]


def _readable(row: tuple) -> tuple:
    """The row with lone surrogates (which no database encodes) written as \\xNN."""
    *head, text = row
    text = text.encode("utf-8", "surrogatepass").decode("utf-8", "backslashreplace")
    return (*head, text)


def _meaning(batch: Batch, stored_upto: int) -> tuple[bool, str | None]:
    """(end marker seen, last cursor checkpoint) among the lines not stored before."""
    end, cursor = False, None
    for seq, mark, value in sorted(batch.marks):
        if seq > stored_upto:
            end = end or mark == "end"
            cursor = value if mark == "cursor" else cursor
    return end, cursor


def store_lines(run: Run, lines: list) -> int:
    """Store line entries, [seq, ts, stream, text]; return the highest seq in the batch
    (0 when none was usable). Entries that cannot be stored are skipped with a warning
    naming them; the rest of the batch is stored."""
    return _store(run, read_batch(lines)) if lines else 0


def store_blocks(run: Run, blocks: list) -> int:
    """store_lines() for block entries, [first_seq, ts, stream, text of lines joined by
    "\n"]: how our agent sends them."""
    return _store(run, read_blocks(blocks)) if blocks else 0


def _store(run: Run, batch: Batch) -> int:
    if batch.rejected:
        log.warning(
            "run %s: %d log %s(s) refused: %s",
            run.id,
            len(batch.rejected),
            batch.entry,
            "; ".join(batch.rejected[:5]),
        )
    if not batch.blocks:
        return 0
    last_seq = batch.blocks[-1][1]
    with transaction.atomic(savepoint=False):
        # Under the run's row lock (PostgreSQL; SQLite has one writer at a time anyway),
        # so two deliveries of the same batch cannot both find their lines new.
        try:  # get(), not first(): no ORDER BY to compile for each batch
            stored_upto = (
                Run.objects.select_for_update().values_list("log_lines", flat=True).get(id=run.id)
            )
        except Run.DoesNotExist:
            return 0  # the run was deleted
        fresh = [kept for block in batch.blocks if (kept := _after(block, stored_upto))]
        if not fresh:
            return last_seq
        stamp = _Stamps() if connection.vendor == "sqlite" else _adapted_time
        rows = chunk_rows(run.id, fresh, stamp)
        try:
            with transaction.atomic():  # a savepoint: a refused insert leaves nothing behind
                sql.insert_chunks(rows)
        except UnicodeEncodeError:
            # Only a client other than our agent sends these (it decodes with
            # backslashreplace); keep the lines readable rather than refuse the batch.
            sql.insert_chunks([_readable(row) for row in rows])
        end_marker, cursor = _meaning(batch, stored_upto)
        updates: dict[str, Any] = {
            "log_lines": Greatest(F("log_lines"), fresh[-1][1]),
            "last_output_at": datetime.fromtimestamp(fresh[-1][2], UTC),
        }
        if end_marker:
            updates["saw_end_marker"] = True
        Run.objects.filter(id=run.id).update(**updates)
        if cursor is not None:
            # A checkpoint: stored on the job at once, so the next run or retry resumes here.
            Job.objects.filter(id=run.job_id).update(cursor=cursor)
        events.runs_changed([(run.id, run.job_id)])
        # Lines at or above the job's alert level raise an alert. The hook skips lines at
        # or below run.log_lines (judged before), so it must hold the value before this batch.
        run.log_lines = stored_upto
        events.send(events.log_lines_stored, run=run, blocks=fresh)
    return last_seq
