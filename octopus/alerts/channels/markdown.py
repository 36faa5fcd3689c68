"""Text from runs, log lines and jobs inside the markdown of chat robots (DingTalk, WeCom).

A job may print `[Reset your password](http://evil)`; unescaped, the robot's message shows
a link Octopus seems to vouch for. `text()` makes such text inert: every character that
forms markdown or HTML anywhere (links, images, emphasis, code, tags, mentions such as
WeCom's `<@userid>`) gets a backslash, as CommonMark defines, and so do the markers that
open a heading or a list at the start of a line; line breaks become spaces, so the text
stays inside the line Octopus put it on. A client that did not honour backslashes would
show them, and still no link: `]` and `(` are never next to each other.
"""

from __future__ import annotations

import re

from octopus.alerts.messages import PREFIX, Message

_INLINE = re.compile(r"([\\`*_~\[\]()<>&])")  # markdown or HTML wherever they are
_BLOCK = re.compile(r"^([#+-])")  # a heading or a list item, at the start of a line
_NUMBERED = re.compile(r"^(\d+)\.")  # "1." starts a numbered list ("1)": ")" is escaped)
_LINE_BREAK = re.compile(r"\s*[\r\n]+\s*")


def text(value: str) -> str:
    """`value` as literal text inside a markdown line."""
    value = _LINE_BREAK.sub(" ", value.strip())
    value = _INLINE.sub(r"\\\1", value)
    value = _BLOCK.sub(r"\\\1", value)
    return _NUMBERED.sub(r"\1\\.", value)


def title(message: Message) -> str:
    """The message's title as markdown text: Octopus's own "[Octopus] " kept as it is (not a
    link: no "(" follows it), the rest, which names jobs and quotes runs, escaped."""
    if message.title.startswith(PREFIX):
        return PREFIX + text(message.title[len(PREFIX) :])
    return text(message.title)


def lines(message: Message) -> list[str]:
    return [text(line) for line in message.lines]


def link(message: Message) -> str:
    """Octopus's own link to the alert ("" when the server's URL is not set)."""
    return f"[Open in Octopus]({message.url})" if message.url else ""
