"""Turn a crontab into job specs, and say which lines could not be turned and why.

Plain Python (no Django): the `octopus import-crontab` command runs it on the client and
sends the specs through the API's apply. What a line becomes:

- blank lines and `#` comments: nothing;
- `NAME=value` (cron(5) environment lines, value optionally quoted): part of the
  environment of every job below it. CRON_TZ sets the time zone of the schedules below it;
  SHELL makes the commands below run under that shell; MAILTO/MAILFROM have no meaning
  here (alerts go through alert channels) and are reported;
- `@daily cmd` and the other shortcuts, or five time fields and a command (with `system`,
  /etc/crontab style, a user field between them, which becomes `run_as`): a job;
- anything else (@reboot, a bad field, a `%` in the command): a problem with its reason.

Job names come from the command (`/opt/bin/backup.sh --full` → `backup`), unique within
the file, with an optional prefix.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from octopus.lib import cron

ENV_LINE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
OPTION_VALUE = re.compile(r"^\d+[smhd]?$")
JOB_NAME = re.compile(r"[^\w.-]+")
MAX_NAME = 100
IMPORTED = "Imported from crontab:"  # starts the description of every job it makes
# Programs whose first argument names the job better than they do.
INTERPRETERS = {
    "sh",
    "bash",
    "zsh",
    "dash",
    "python",
    "python2",
    "python3",
    "php",
    "perl",
    "ruby",
    "node",
    "java",
    "nice",
    "ionice",
    "nohup",
    "timeout",
    "flock",
    "env",
    "sudo",
    "exec",
    "chronic",
    "run-parts",
}
SCRIPT_EXTENSIONS = {"sh", "bash", "py", "php", "pl", "rb", "js", "jar", "lua", "tcl"}
TIME_FIELDS = 5
IGNORED_VARIABLES = {
    "MAILTO": "MAILTO is not used: Octopus sends failures to alert channels",
    "MAILFROM": "MAILFROM is not used: Octopus sends failures to alert channels",
}


@dataclass
class Problem:
    line_number: int
    line: str
    reason: str


@dataclass
class Conversion:
    jobs: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _unescape_percent(command: str) -> str | None:
    """cron turns an unescaped % into a newline (and the rest into stdin): there is no
    such thing for a job, so None; `\\%` is a plain %."""
    if re.search(r"(?<!\\)%", command):
        return None
    return command.replace("\\%", "%")


def derive_name(command: str) -> str:
    """A job name from a command: the program (or the script an interpreter runs), without
    directory or extension, in the characters a job name allows."""
    try:
        words = shlex.split(command, comments=True)
    except ValueError:
        words = command.split()
    while words and (ENV_LINE.match(words[0]) and "=" in words[0]):
        words.pop(0)  # FOO=1 cmd
    if len(words) >= 3 and words[0] == "cd" and words[2] in ("&&", ";"):
        words = words[3:]  # cd /srv/app && ./run.sh
    while len(words) > 1 and os.path.basename(words[0]) in INTERPRETERS:
        words.pop(0)
        while len(words) > 1 and (words[0].startswith("-") or OPTION_VALUE.match(words[0])):
            words.pop(0)  # python3 -u script.py, nice -n 10 cmd, timeout 60s cmd
    base = os.path.basename(words[0]) if words else ""
    stem, dot, extension = base.lstrip(".").rpartition(".")
    if not dot or extension not in SCRIPT_EXTENSIONS:
        stem = base.lstrip(".")  # cron.hourly stays whole; backup.sh → backup
    name = JOB_NAME.sub("-", stem).strip("-._")
    return name[:MAX_NAME] or "job"


def _unique(name: str, taken: set[str], prefix: str) -> str:
    base = (prefix + name)[: MAX_NAME - 4]
    candidate = base
    n = 2
    while candidate in taken:
        candidate = f"{base}-{n}"
        n += 1
    taken.add(candidate)
    return candidate


def _split_job_line(line: str, system: bool) -> tuple[str, str, str] | str:
    """(schedule, user, command), or the reason the line is not a job line."""
    text = line.strip()
    if text.startswith("@"):
        parts = text.split(None, 2 if system else 1)
        shortcut = parts[0]
        try:
            cron.expand(shortcut)
        except cron.CronError as exc:
            return str(exc)
        rest = parts[1:]
        if system:
            if len(rest) < 2:
                return "expected a shortcut, a user and a command"
            return shortcut, rest[0], rest[1]
        if not rest:
            return "no command after the schedule"
        return shortcut, "", rest[0]
    count = TIME_FIELDS + (1 if system else 0)
    parts = text.split(None, count)
    if len(parts) <= count:
        return f"expected {TIME_FIELDS} time fields{', a user' if system else ''} and a command"
    schedule = " ".join(parts[:TIME_FIELDS])
    user = parts[TIME_FIELDS] if system else ""
    return schedule, user, parts[count]


def convert(
    text: str, *, time_zone: str = "UTC", prefix: str = "", system: bool = False
) -> Conversion:
    """The jobs a crontab's text describes, and the lines that could not be converted."""
    result = Conversion()
    env: dict[str, str] = {}
    shell = ""
    zone = time_zone
    taken: set[str] = set()
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        assignment = ENV_LINE.match(line)
        if assignment and not line.startswith("@"):
            key, value = assignment.group(1), _unquote(assignment.group(2))
            if key in IGNORED_VARIABLES:
                result.problems.append(Problem(number, raw, IGNORED_VARIABLES[key]))
            elif key == "CRON_TZ":
                try:
                    cron.zone(value)
                except cron.CronError as exc:
                    result.problems.append(Problem(number, raw, str(exc)))
                else:
                    zone = value
            elif key == "SHELL":
                shell = "" if value in ("/bin/sh", "sh") else value
            else:
                env[key] = value
            continue
        split = _split_job_line(line, system)
        if isinstance(split, str):
            result.problems.append(Problem(number, raw, split))
            continue
        schedule, user, command = split
        try:
            cron.validate(schedule, zone)
        except cron.CronError as exc:
            result.problems.append(Problem(number, raw, f"invalid schedule: {exc}"))
            continue
        plain = _unescape_percent(command)
        if plain is None:
            result.problems.append(
                Problem(
                    number,
                    raw,
                    "the command has an unescaped % (cron makes it a newline and feeds the "
                    "rest to stdin); write \\% for a literal %",
                )
            )
            continue
        job: dict[str, Any] = {
            "name": _unique(derive_name(plain), taken, prefix),
            "description": f"{IMPORTED} {line}"[:500],
            "command": f"{shell} -c {shlex.quote(plain)}" if shell else plain,
            "schedule": schedule,
            "time_zone": zone,
        }
        if env:
            job["env"] = dict(env)
        if user:
            job["run_as"] = user
        result.jobs.append(job)
    return result
