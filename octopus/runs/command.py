"""Build the shell command and environment a run starts with."""

from __future__ import annotations

import re
import shlex

PLACEHOLDER = re.compile(r"\{(cursor|args)\}")


def render_command(command: str, args: list[str], cursor: str) -> str:
    """Substitute `{cursor}` and `{args}`, each shell-quoted, in one pass (so a cursor that
    contains the text `{args}` is never expanded). Args are appended when the command has
    no `{args}` placeholder."""
    quoted_args = " ".join(shlex.quote(arg) for arg in args)
    values = {"cursor": shlex.quote(cursor), "args": quoted_args}
    text = PLACEHOLDER.sub(lambda m: values[m.group(1)], command)
    if args and "{args}" not in command:
        text = f"{text} {quoted_args}"
    return text


def parse_args(text: str) -> list[str]:
    """Split an args field the way a shell would; raise ValueError on unbalanced quotes."""
    try:
        return shlex.split(text)
    except ValueError as exc:
        raise ValueError(f"cannot split the arguments: {exc}") from None
