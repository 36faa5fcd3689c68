from __future__ import annotations

import subprocess

import pytest

from octopus.runs.command import parse_args, render_command


def shell_argv(command: str) -> list[str]:
    """What a real shell passes to a program: run the command with printf."""
    out = subprocess.run(["/bin/sh", "-c", command], capture_output=True, check=True).stdout
    return out.decode().split("\0")[:-1]


def test_args_replace_the_placeholder_quoted() -> None:
    assert render_command("run.sh {args} --x", ["a b", "c"], "") == "run.sh 'a b' c --x"


def test_args_are_appended_without_a_placeholder() -> None:
    assert render_command("run.sh", ["--day", "mon"], "") == "run.sh --day mon"


def test_a_hostile_argument_arrives_as_one_literal_argument() -> None:
    hostile = "'; rm -rf / #"
    command = render_command("printf '%s\\0' {args}", [hostile, "$(id)"], "")
    assert shell_argv(command) == [hostile, "$(id)"]


def test_a_hostile_cursor_arrives_as_one_literal_argument() -> None:
    cursor = "x'; echo pwned; '{args}"
    command = render_command("printf '%s\\0' {cursor} {args}", ["a"], cursor)
    assert shell_argv(command) == [cursor, "a"]


def test_an_empty_cursor_is_an_empty_argument() -> None:
    assert shell_argv(render_command("printf '%s\\0' {cursor}", [], "")) == [""]


def test_parse_args_splits_like_a_shell() -> None:
    assert parse_args("""--name "a b" 'c d' e\\ f""") == ["--name", "a b", "c d", "e f"]


def test_parse_args_refuses_unbalanced_quotes() -> None:
    with pytest.raises(ValueError, match="cannot split the arguments"):
        parse_args("'; rm -rf / #")
