"""How lines are packed into chunks (the rows of LogChunk) and read back.

A chunk holds consecutive lines of one run that share one time (the worker read them
together): seqs first_seq..last_seq, no gaps, their texts joined by "\n" (a line never
holds a newline: the worker splits on it, and ingest escapes any other client's). Each
line's stream and level are one letter in `kinds`; a chunk whose lines all have the same
letter stores it once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from octopus.lib.logline import LEVELS

# Severity rank, 0 = most severe; cursor lines are progress info.
RANK = {name: i for i, name in enumerate(LEVELS)} | {"cursor": LEVELS.index("info")}
LEVEL_LETTER = {"fatal": "f", "error": "e", "warn": "w", "info": "i", "debug": "d", "trace": "t"}
LEVEL_LETTER["cursor"] = "c"
SYSTEM_LETTER = "s"  # the worker's own lines about the run; always level warn

KIND = {("stdout", level): letter for level, letter in LEVEL_LETTER.items()}
KIND |= {("stderr", level): letter.upper() for level, letter in LEVEL_LETTER.items()}
KIND[("system", "warn")] = SYSTEM_LETTER
STREAM_LEVEL = {letter: pair for pair, letter in KIND.items()}
KIND_RANK = {letter: RANK[level] for letter, (_, level) in STREAM_LEVEL.items()}


def kind_of(stream: str, level: str) -> str:
    """The letter for a line; a stream other than stderr/system counts as stdout."""
    if stream == "system":
        return SYSTEM_LETTER
    return KIND.get(("stderr" if stream == "stderr" else "stdout", level), "i")


def letters_at_least(threshold: str) -> frozenset[str]:
    """The letters of lines at least as severe as threshold (a LEVELS name)."""
    if threshold not in LEVELS:
        raise ValueError(f"unknown level {threshold!r}; one of {', '.join(LEVELS)}")
    rank = LEVELS.index(threshold)
    return frozenset(letter for letter, r in KIND_RANK.items() if r <= rank)


class ChunkLine(NamedTuple):
    seq: int
    kind: str
    text: str


def unpack(first_seq: int, kinds: str, text: str) -> Iterator[ChunkLine]:
    """The chunk's lines in order."""
    texts = text.split("\n")
    if len(kinds) == 1:
        for i, line in enumerate(texts):
            yield ChunkLine(first_seq + i, kinds, line)
    else:
        for i, (kind, line) in enumerate(zip(kinds, texts, strict=True)):
            yield ChunkLine(first_seq + i, kind, line)


def packed_kinds(letters: list[str]) -> str:
    first = letters[0]
    return first if letters.count(first) == len(letters) else "".join(letters)
