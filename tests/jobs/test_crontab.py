"""Crontab → job specs: environment lines, shortcuts, the five fields, and a reason for
every line that cannot be converted."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from octopus.jobs.crontab import ENV_LINE, convert, derive_name
from octopus.jobs.spec import JobSpec

CRONTAB = r"""
# m h dom mon dow command
MAILTO=ops@example.com
PATH=/usr/local/bin:/usr/bin:/bin
BACKUP_DIR = "/srv/backups"

@reboot /usr/local/bin/start-agent
@daily /usr/local/bin/backup.sh --full
*/15 * * * *   python3 -u /opt/etl/load_orders.py --since 15m
30 2 * * 1-5 cd /srv/app && ./rotate-logs.sh
61 * * * * /bin/true
0 4 * * * date +\%F >> /tmp/dates
0 5 * * * echo "a" % stdin
@fortnightly /bin/true
CRON_TZ=Asia/Shanghai
0 9 * * * /usr/local/bin/backup.sh --incremental
"""


def test_it_converts_a_typical_crontab() -> None:
    result = convert(CRONTAB, time_zone="Europe/Berlin")
    jobs = {job["name"]: job for job in result.jobs}
    assert list(jobs) == ["backup", "load_orders", "rotate-logs", "date", "backup-2"]
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "BACKUP_DIR": "/srv/backups"}
    assert jobs["backup"] == {
        "name": "backup",
        "description": "Imported from crontab: @daily /usr/local/bin/backup.sh --full",
        "command": "/usr/local/bin/backup.sh --full",
        "schedule": "@daily",
        "time_zone": "Europe/Berlin",
        "env": env,
    }
    assert jobs["load_orders"]["schedule"] == "*/15 * * * *"
    assert jobs["load_orders"]["command"] == "python3 -u /opt/etl/load_orders.py --since 15m"
    assert jobs["date"]["command"] == "date +%F >> /tmp/dates"
    assert (jobs["backup-2"]["time_zone"], jobs["backup-2"]["schedule"]) == (
        "Asia/Shanghai",
        "0 9 * * *",
    )
    for job in result.jobs:
        JobSpec.model_validate(job)  # each is what the API accepts


def test_it_reports_each_line_it_cannot_convert_with_the_reason() -> None:
    problems = {p.line_number: p.reason for p in convert(CRONTAB).problems}
    assert problems == {
        3: "MAILTO is not used: Octopus sends failures to alert channels",
        7: "@reboot is not supported: Octopus schedules by time only",
        11: "invalid schedule: bad minute field '61': allowed 0-59, *, lists, ranges, steps",
        13: "the command has an unescaped % (cron makes it a newline and feeds the rest to "
        "stdin); write \\% for a literal %",
        14: "unknown shortcut '@fortnightly'; known shortcuts: @yearly, @annually, @monthly, "
        "@weekly, @daily, @midnight, @hourly",
    }


def test_short_lines_bad_zones_and_missing_commands_are_problems() -> None:
    result = convert("* * * *\n@hourly\nCRON_TZ=Mars/Base\n0 0 * * 8 /bin/true\n")
    assert [p.reason for p in result.problems] == [
        "expected 5 time fields and a command",
        "no command after the schedule",
        "unknown time zone 'Mars/Base'",
        "invalid schedule: bad day-of-week field '8': allowed 0-7 or SUN-SAT, 5L, MON#2, *, "
        "lists, ranges, steps",
    ]
    assert result.jobs == []


def test_a_system_crontab_has_a_user_field() -> None:
    result = convert("17 * * * * root cd / && run-parts --report /etc/cron.hourly\n", system=True)
    (job,) = result.jobs
    assert (job["run_as"], job["command"]) == (
        "root",
        "cd / && run-parts --report /etc/cron.hourly",
    )
    assert job["name"] == "cron.hourly"


def test_a_shell_line_wraps_the_commands_below_it() -> None:
    (job,) = convert("SHELL=/bin/bash\n@hourly echo $((1+1)) > /tmp/x\n").jobs
    assert job["command"] == "/bin/bash -c 'echo $((1+1)) > /tmp/x'"
    assert "env" not in job


def test_names_get_the_prefix_and_stay_unique() -> None:
    result = convert("@daily /opt/a.sh\n@daily /opt/a.sh x\n@daily /opt/a.sh y\n", prefix="web1-")
    assert [job["name"] for job in result.jobs] == ["web1-a", "web1-a-2", "web1-a-3"]


def test_derive_name() -> None:
    assert derive_name("/usr/local/bin/backup.sh --full") == "backup"
    assert derive_name("FOO=1 nice -n 10 python3 /opt/etl/load.py") == "load"
    assert derive_name("cd /srv/app && ./rotate-logs.sh") == "rotate-logs"
    assert derive_name("echo 'unbalanced") == "echo"
    assert derive_name("   ") == "job"
    assert derive_name("/usr/bin/日志清理") == "日志清理"


field = st.one_of(
    st.just("*"),
    st.integers(0, 59).map(str),
    st.integers(1, 30).map(lambda n: f"*/{n}"),
)
schedule = st.tuples(
    field,
    st.one_of(st.just("*"), st.integers(0, 23).map(str)),
    st.one_of(st.just("*"), st.integers(1, 28).map(str)),
    st.one_of(st.just("*"), st.integers(1, 12).map(str)),
    st.one_of(st.just("*"), st.integers(0, 7).map(str)),
).map(" ".join)
command = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_characters="%\n\r\x00\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
    ),
    min_size=1,
).filter(lambda text: text.strip() and not text.strip().startswith("#"))


@given(st.lists(st.tuples(schedule, command), min_size=1, max_size=8))
def test_any_valid_entry_becomes_a_job_with_a_valid_unique_name(entries) -> None:
    text = "\n".join(f"{when} {what}" for when, what in entries)
    result = convert(text)
    assert result.problems == []
    assert [job["schedule"] for job in result.jobs] == [when for when, _ in entries]
    assert [job["command"] for job in result.jobs] == [what.strip() for _, what in entries]
    names = [job["name"] for job in result.jobs]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[\w.-]{1,100}", name) for name in names)


def is_entry(line: str) -> bool:
    """Not blank, not a comment, not an environment line: meant as a cron entry."""
    text = line.strip()
    return (
        bool(text)
        and not text.startswith("#")
        and not (ENV_LINE.match(text) and not text.startswith("@"))
    )


@given(st.text(alphabet=st.sampled_from(list("*/ 0123456789@abcdefhlmrtuwy=#%\n\t-,"))))
def test_every_entry_becomes_a_job_or_a_problem_and_nothing_raises(text) -> None:
    result = convert(text)
    entries = [n for n, line in enumerate(text.splitlines(), 1) if is_entry(line)]
    entry_problems = [p for p in result.problems if p.line_number in entries]
    assert len(result.jobs) + len(entry_problems) == len(entries)
    for job in result.jobs:
        JobSpec.model_validate(job)
