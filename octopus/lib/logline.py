from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

# Parse and format job output lines in the original Octopus log format.
#
# A structured line is `<time> <name> <level> <content>`, for example:
#
#     2013/07/04:16:41:00 app_name error Process has exited!
#
# * time: `YYYY/MM/DD:HH:MM:SS` (naive), or one ISO 8601 token in extended calendar form,
#   `YYYY-MM-DDTHH:MM[:SS[.fff]][Z|+HH[:MM]]` (aware when it carries an offset or `Z`).
# * name: one token without whitespace.
# * level: one of LEVELS (case-insensitive, `warning` means `warn`), `cursor` (content is the
#   new cursor value), or a code: 100 start, 110 heartbeat, 120 end (level `info`).
# * content: the rest of the line, possibly empty.
#
# Splitting: the line must start with the time token (no leading whitespace); the first three
# tokens are separated by runs of whitespace, the run after the level is dropped and everything
# after it is kept verbatim (trailing whitespace included). So content round-trips through
# format_line/parse_line exactly when it has no leading whitespace and no trailing CR/LF.
# "Whitespace" is what `str.isspace` (and `re`'s `\s`) says, Unicode spaces included.
#
# Anything else (unknown level or code, invalid date, too few tokens) is unstructured: the whole
# line becomes the content and the level defaults by stream, so parse_line never raises.

__all__ = [
    "CODE_END",
    "CODE_HEARTBEAT",
    "CODE_START",
    "LEVELS",
    "ParsedLine",
    "format_line",
    "level_at_least",
    "parse_line",
]

LEVELS: tuple[str, ...] = ("fatal", "error", "warn", "info", "debug", "trace")  # most to least
CODE_START, CODE_HEARTBEAT, CODE_END = 100, 110, 120

_CURSOR = "cursor"
_CODES = {str(c): c for c in (CODE_START, CODE_HEARTBEAT, CODE_END)}
_ALIASES = {"warning": "warn"}
# Severity rank, 0 = most severe; cursor lines are progress info, so they rank as info.
_RANK = {name: i for i, name in enumerate(LEVELS)} | {_CURSOR: LEVELS.index("info")}

# DOTALL + fullmatch (not `$`, which also matches before a final "\n") keep content verbatim.
_LINE = re.compile(r"(\S+)\s+(\S+)\s+(\S+)(?:\s+(.*))?", re.DOTALL)
_ORIGINAL_TIME = re.compile(r"([0-9]{4})/([0-9]{2})/([0-9]{2}):([0-9]{2}):([0-9]{2}):([0-9]{2})")
# fromisoformat alone is far too lenient for sniffing (it takes "2026-11-24X10:00", week dates,
# basic format...), so only tokens of this shape are handed to it.
_ISO_TIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:[.,][0-9]+)?)?"
    r"(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?"
)


@dataclass(frozen=True, slots=True)
class ParsedLine:
    level: str  # one of LEVELS, or "cursor"
    code: int | None  # CODE_START/CODE_HEARTBEAT/CODE_END when the line carried a code
    time: datetime | None  # naive unless the ISO time had an offset or "Z"
    name: str | None
    content: str
    structured: bool  # True when the line was in the original format


def _parse_time(token: str) -> datetime | None:
    try:
        if m := _ORIGINAL_TIME.fullmatch(token):
            year, month, day, hour, minute, second = map(int, m.groups())  # six groups
            return datetime(year, month, day, hour, minute, second)
        if _ISO_TIME.fullmatch(token):
            return datetime.fromisoformat(token.upper())  # fromisoformat rejects "t"/"z"
    except (ValueError, OverflowError):  # out-of-range fields, offsets >= 24h
        pass
    return None


def _level_name(token: object) -> str | None:
    """The canonical level name for token (case-insensitive, aliases applied), else None."""
    if not isinstance(token, str) or not token.isascii():  # keep lower() from folding exotica
        return None
    name = _ALIASES.get(token.lower(), token.lower())
    return name if name in _RANK else None


def _parse_level(token: str) -> tuple[str, int | None] | None:
    """(level, code) for a level token, or None when it is not one."""
    if code := _CODES.get(token):
        return "info", code
    name = _level_name(token)
    return None if name is None else (name, None)


def parse_line(text: str, stream: str = "stdout") -> ParsedLine:
    """Parse one output line; lines not in the format come back unstructured, never raising.

    Trailing CR/LF characters are stripped first. An unstructured line keeps the (stripped) text
    as its content, with level "warn" on stream "stderr" and "info" on any other stream.
    """
    text = text.rstrip("\r\n")
    if (m := _LINE.fullmatch(text)) is not None:
        time_token, name, level_token, content = m.groups()
        time = _parse_time(time_token)
        level = _parse_level(level_token)
        if time is not None and level is not None:
            return ParsedLine(level[0], level[1], time, name, content or "", structured=True)
    default = "warn" if stream == "stderr" else "info"
    return ParsedLine(default, None, None, None, text, structured=False)


def format_line(time: datetime, name: str, level: str | int, content: str = "") -> str:
    """Format a line in the original form; aware times are written as their wall-clock time.

    The time is truncated to seconds. Raises ValueError for an empty name, a name containing
    whitespace, or a level that is neither a known name nor a known code.
    """
    if not isinstance(time, datetime):
        raise TypeError(f"time must be a datetime, not {type(time).__name__}")
    if not name or any(c.isspace() for c in name):
        raise ValueError(f"name must be non-empty without whitespace: {name!r}")
    # bool is an int subclass; True must not pass as a code.
    token = str(level) if isinstance(level, int) and not isinstance(level, bool) else level
    parsed = _parse_level(token) if isinstance(token, str) else None
    if parsed is None:
        raise ValueError(f"unknown level: {level!r}")
    level_name, code = parsed
    # Explicit padding: strftime("%Y") does not zero-pad years before 1000 on glibc.
    stamp = (
        f"{time.year:04d}/{time.month:02d}/{time.day:02d}:"
        f"{time.hour:02d}:{time.minute:02d}:{time.second:02d}"
    )
    head = f"{stamp} {name} {code if code is not None else level_name}"
    return f"{head} {content}" if content else head


def _rank(level: str) -> int:
    if (name := _level_name(level)) is None:
        raise ValueError(f"unknown level: {level!r}")
    return _RANK[name]


def level_at_least(level: str, threshold: str) -> bool:
    """True when level is at least as severe as threshold ("error" passes "warn").

    The threshold may also be "all" (everything passes) or "none" (nothing does). Level names
    are case-insensitive, "warning" means "warn" and "cursor" ranks as "info". Unknown names
    raise ValueError, including an unknown level under "all"/"none".
    """
    rank = _rank(level)
    key = threshold.lower() if isinstance(threshold, str) else threshold
    if key == "all":
        return True
    if key == "none":
        return False
    return rank <= _rank(threshold)
