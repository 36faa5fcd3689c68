"""The CLI prints what the server sends as it is: text that looks like rich markup ("[/x]",
"[bold]", ":smile:") is never read as markup, so it neither crashes the command nor changes
how it looks. With --json, errors are JSON too."""

from __future__ import annotations

import json
import string

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from octopus.cli import jobs_as_code, main, output, runs
from octopus.cli.client import CliError, InvalidInput, api_command

MARKUP = [
    "[/x] [bold]",
    "[/]",
    "[red]x[/red]",
    "\\[/x]",
    "a\\",
    "[link=http://e]y[/link]",
    ":smile:",
]
# Brackets, slashes, backslashes and colons among letters: whatever rich might take for
# a tag, an escape or an emoji code.
TEXTS = (
    st.text(alphabet=string.ascii_letters + "[]/\\:@#=! ", min_size=1, max_size=60)
    .map(str.strip)
    .filter(bool)
)


def printed(capsys) -> list[str]:
    return [line.rstrip() for line in capsys.readouterr().out.splitlines()]


@pytest.mark.parametrize("text", MARKUP)
def test_table_cells_are_printed_as_they_are(capsys, text: str) -> None:
    output.table(["NAME", "REASON"], [["job", text]], empty="none")
    assert printed(capsys)[1].split(None, 1)[1] == text


@pytest.mark.parametrize("text", MARKUP)
def test_fields_are_printed_as_they_are(capsys, text: str) -> None:
    output.fields([("description", text), ("environment", {"A": text}), ("tags", [text, "b"])])
    assert [line.split(None, 1) for line in printed(capsys)] == [
        ["description", text],
        ["environment", f"A={text}"],
        ["tags", f"{text}, b"],
    ]


@given(TEXTS)
def test_any_text_prints_as_itself(text: str) -> None:
    with output.out.capture() as captured:
        output.table(["A"], [[text]], empty="none")
        output.fields([("k", text)])
        output.out.print(f"Saved job {text}.", markup=False)
        output.out.print(output.styled(("+ create", "green"), f"  {text}"))
    cell, field, message, plan = captured.get().splitlines()[1:]
    assert (cell, field.split(None, 1)) == (text, ["k", text])
    assert (message, plan) == (f"Saved job {text}.", f"+ create  {text}")


def test_a_run_shown_with_a_reason_in_brackets(capsys) -> None:
    run = {
        "id": 7, "job": "etl", "state": "queued", "reason": "waiting: labels [/x]",
        "exit_code": None, "trigger": "manual", "triggered_by": "[bold]ann", "attempt": 1,
        "args": ["[/x]"], "cursor_start": "", "command": "echo [/x]", "worker": None,
        "scheduled_for": None, "created": None, "started_at": None, "finished_at": None,
        "duration": None, "log_lines": 0,
    }  # fmt: skip
    runs.show(run)
    shown = dict(line.split(None, 1) for line in printed(capsys) if " " in line.strip())
    assert shown["reason"] == "waiting: labels [/x]"
    assert shown["trigger"] == "manual by [bold]ann"
    assert (shown["args"], shown["command"]) == ("'[/x]'", "echo [/x]")


def test_a_plan_names_jobs_as_they_are(capsys) -> None:
    jobs_as_code.print_plan(
        {
            "created": ["[/x]"],
            "updated": [{"name": "[bold]b", "changes": {"command": {"from": "[/a]", "to": "b"}}}],
            "deleted": ["c\\"],
            "unchanged": [],
            "dry_run": True,
        }
    )
    assert printed(capsys)[:4] == [
        "+ create  [/x]",
        "~ update  [bold]b",
        "      command: '[/a]' → 'b'",
        "- delete  c\\",
    ]


class FakeServer:
    """What the commands' client returns: every name, state and reason is markup-like."""

    url = "http://octopus.test"
    NAME = "[/x] [bold]"

    def job(self, ref: str) -> dict:
        return {"id": 1, "name": self.NAME, "schedule": "", "enabled": True}

    def _answer(self, path: str) -> dict:
        if path.startswith("/alerts"):
            return {"acknowledged_by": self.NAME}
        if path.startswith("/runs"):
            return {"id": 9, "state": self.NAME}
        if path.endswith("/runs"):
            return {"id": 9, "job": self.NAME}
        return self.job(path)

    def post(self, path: str, body=None) -> dict:
        return self._answer(path)

    patch = post

    def delete(self, path: str) -> None:
        return None


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["jobs", "create", "x", "-c", "true"], "Created job [/x] [bold] (id 1); manual runs"),
        (["jobs", "edit", "x", "-d", "d"], "Saved job [/x] [bold]."),
        (["jobs", "disable", "x"], "Job [/x] [bold] disabled; manual runs only."),
        (["jobs", "rm", "x", "-y"], "Deleted job [/x] [bold]."),
        (["jobs", "run", "x"], "Run 9 of [/x] [bold] queued."),
        (["runs", "cancel", "9"], "Run 9 is [/x] [bold]: its worker was told to stop it."),
        (["alerts", "ack", "3"], "Alert 3 acknowledged by [/x] [bold]."),
    ],
)
def test_command_messages_quote_the_server_as_it_is(monkeypatch, args, said) -> None:
    monkeypatch.setattr("octopus.cli.client.make_client", lambda url, token: FakeServer())
    done = CliRunner().invoke(main, args)
    assert done.exit_code == 0, (done.output, done.exception)
    assert said in done.output


@pytest.fixture
def failing(monkeypatch):
    """A command group whose one command raises the given error after the client is made."""

    def make(error: Exception):
        import click

        @click.command()
        @api_command
        def fails(client, as_json: bool) -> None:
            raise error

        return fails

    return make


def test_with_json_an_error_is_json_on_stderr(failing) -> None:
    done = CliRunner().invoke(
        failing(CliError("there is no job named '[/x]'")), ["--json", "--token", "t"]
    )
    assert done.exit_code == 1
    assert done.stdout == ""
    assert json.loads(done.stderr) == {"error": "there is no job named '[/x]'", "detail": None}


def test_with_json_refused_input_lists_the_problems(failing) -> None:
    problems = [{"field": "schedule", "message": "Invalid schedule: bad minute field '61'"}]
    done = CliRunner().invoke(failing(InvalidInput(problems)), ["--json", "--token", "t"])
    assert done.exit_code == 1
    assert json.loads(done.stderr) == {
        "error": "invalid input:\n  schedule: Invalid schedule: bad minute field '61'",
        "detail": problems,
    }


def test_without_json_an_error_is_a_sentence(failing) -> None:
    done = CliRunner().invoke(failing(CliError("there is no job named '[/x]'")), ["--token", "t"])
    assert (done.exit_code, done.stderr) == (1, "Error: there is no job named '[/x]'\n")


def test_with_json_an_unreachable_server_is_json(tmp_path) -> None:
    done = CliRunner().invoke(
        main,
        ["jobs", "ls", "--json", "--url", "http://127.0.0.1:9", "--token", "t"],
        env={"OCTOPUS_CLI_CONFIG": str(tmp_path / "cli.toml")},
    )
    assert done.exit_code == 1
    error = json.loads(done.stderr)
    assert error["error"].startswith("cannot reach the Octopus server at http://127.0.0.1:9")
    assert error["detail"] is None
