"""The `octopus` command against a real `octopus up`: every command group, the way people
use them, and the errors they get when something is off."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.cli_support import Cli, make_api_token
from tests.e2e.octopus_process import OctopusUp, free_port, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[OctopusUp]:
    instance = OctopusUp(tmp_path_factory.mktemp("cli") / "data").start()
    try:
        yield instance
    finally:
        assert instance.stop() == 0, instance.log()


@pytest.fixture(scope="module")
def token(server: OctopusUp) -> str:
    return make_api_token(server.url)


@pytest.fixture
def cli(server: OctopusUp, token: str, tmp_path: Path) -> Cli:
    return Cli(server.url, token, tmp_path / "home")


def test_jobs_create_list_show_edit_disable_enable_and_remove(cli: Cli) -> None:
    created = cli.run(
        "jobs",
        "create",
        "nightly-report",
        "-c",
        "echo report {args}",
        "-s",
        "0 2 * * *",
        "--tz",
        "Asia/Shanghai",
        "--env",
        "LANG=C",
        "--tag",
        "reports",
        "--args",
        "--full",
    )
    assert "Created job nightly-report" in created.stdout
    listing = cli.run("jobs", "ls").stdout
    header, *rows = listing.splitlines()
    assert header.split()[:3] == ["NAME", "SCHEDULE", "TIME"]
    assert any(row.startswith("nightly-report") and "Asia/Shanghai" in row for row in rows)
    shown = cli.run("jobs", "show", "nightly-report").stdout
    assert "echo report {args}" in shown and "LANG=C" in shown and "--full" in shown
    job = cli.json("jobs", "show", "nightly-report")
    assert (job["schedule"], job["env"], job["tags"]) == ("0 2 * * *", {"LANG": "C"}, ["reports"])

    cli.run("jobs", "edit", "nightly-report", "-s", "30 3 * * *", "--set", "retries=2")
    job = cli.json("jobs", "show", "nightly-report")
    assert (job["schedule"], job["retries"], job["command"]) == (
        "30 3 * * *",
        2,
        "echo report {args}",
    )

    assert "disabled" in cli.run("jobs", "disable", "nightly-report").stdout
    assert cli.json("jobs", "show", "nightly-report")["enabled"] is False
    assert "next firing" in cli.run("jobs", "enable", "nightly-report").stdout
    assert [j["name"] for j in cli.json("jobs", "ls", "--tag", "reports")] == ["nightly-report"]

    cli.run("jobs", "rm", "nightly-report", "--yes")
    assert "nightly-report" not in cli.run("jobs", "ls").stdout


def test_run_and_follow_then_read_logs_and_runs(cli: Cli) -> None:
    cli.run("jobs", "create", "greet", "-c", "echo hello {args}; echo second line")
    followed = cli.run("jobs", "run", "greet", "--args", "world", "-f")
    assert followed.stdout.splitlines() == ["hello world", "second line"]
    assert "succeeded" in followed.stderr
    run = cli.json("runs", "ls", "--job", "greet")[0]
    assert (run["state"], run["args"], run["trigger"]) == ("succeeded", ["world"], "api")
    assert cli.run("logs", str(run["id"])).stdout == "hello world\nsecond line\n"
    lines = [line for line in cli.run("logs", str(run["id"]), "--json").stdout.splitlines()]
    assert len(lines) == 2 and '"seq": 1' in lines[0]
    shown = cli.run("runs", "show", str(run["id"])).stdout
    assert "succeeded" in shown and "greet" in shown
    table = cli.run("runs", "ls", "--job", "greet").stdout
    assert table.splitlines()[0].split()[:3] == ["RUN", "JOB", "STATE"]


def test_a_failing_run_followed_exits_non_zero(cli: Cli) -> None:
    cli.run("jobs", "create", "broken", "-c", "echo oops >&2; exit 3")
    done = cli.run("jobs", "run", "broken", "-f", ok=False)
    assert done.returncode == 1
    assert "oops" in done.stdout and "failed" in done.stderr


def test_cancel_stops_a_running_run(cli: Cli) -> None:
    cli.run(
        "jobs", "create", "slow", "-c", "for i in $(seq 1 300); do echo tick $i; sleep 0.2; done"
    )
    run_id = cli.run("jobs", "run", "slow").stdout.strip()
    wait_until(lambda: cli.json("runs", "show", run_id)["state"] == "running", 30, what="running")
    said = cli.run("runs", "cancel", run_id).stdout
    assert "told to stop" in said or "cancelled" in said
    run = wait_until(
        lambda: (r := cli.json("runs", "show", run_id))["state"] == "cancelled" and r,
        30,
        what="the run to end cancelled",
    )
    assert run["reason"] == "cancelled by admin"
    assert (
        cli.run("runs", "cancel", run_id, ok=False)
        .stderr.strip()
        .endswith(f"run {run_id} already ended (cancelled)")
    )


def test_logs_follow_a_job_through_its_next_runs(cli: Cli) -> None:
    cli.run("jobs", "create", "beat", "-c", "echo beat {args}")
    follower = cli.popen("logs", "--job", "beat", "-f")
    try:
        time.sleep(1.5)  # it is waiting for a first run
        cli.run("jobs", "run", "beat", "--args", "one")
        wait_until(lambda: cli.json("runs", "ls", "--job", "beat")[0]["state"] == "succeeded", 30)
        cli.run("jobs", "run", "beat", "--args", "two")
        wait_until(
            lambda: (
                [r["state"] for r in cli.json("runs", "ls", "--job", "beat")] == ["succeeded"] * 2
            ),
            30,
        )
        time.sleep(1.5)
    finally:
        follower.terminate()
        out, err = follower.communicate(timeout=10)
    assert out.splitlines() == ["beat one", "beat two"], err


def test_workers_and_alerts(cli: Cli, server: OctopusUp) -> None:
    workers = cli.json("workers", "ls")
    assert [(w["name"], w["state"]) for w in workers] == [("local", "online")]
    assert "local" in cli.run("workers", "ls").stdout
    # A failing run raises an alert through the real alert rules.
    cli.json("jobs", "create", "alerting", "-c", "exit 1")
    cli.run("jobs", "run", "alerting", "-f", ok=False)

    # Other tests of this module share the server: look at this job's alert only.
    def mine(*args: str) -> list[dict]:
        return [a for a in cli.json("alerts", "ls", *args) if a["job"] == "alerting"]

    (alert,) = wait_until(mine, 20, what="the alert")
    listed = cli.run("alerts", "ls").stdout
    assert "alerting failed" in listed and "run_failed" in listed
    assert "acknowledged by admin" in cli.run("alerts", "ack", str(alert["id"])).stdout
    assert mine() == []
    assert [a["state"] for a in mine("--state", "all")] == ["acknowledged"]


def test_clear_errors(cli: Cli, server: OctopusUp) -> None:
    bad_token = cli.run("jobs", "ls", ok=False, env={"OCTOPUS_TOKEN": "oct_not-a-real-token"})
    assert bad_token.returncode == 1
    assert "the server refused the token: invalid or revoked API token" in bad_token.stderr

    nowhere = f"http://127.0.0.1:{free_port()}"
    unreachable = cli.run("jobs", "ls", ok=False, env={"OCTOPUS_URL": nowhere})
    assert (
        f"cannot reach the Octopus server at {nowhere} (connection refused)" in unreachable.stderr
    )

    missing = cli.run("jobs", "show", "no-such-job", ok=False)
    assert "there is no job named 'no-such-job'" in missing.stderr
    assert "run 999999 not found" in cli.run("runs", "show", "999999", ok=False).stderr

    invalid = cli.run("jobs", "create", "bad-cron", "-c", "true", "-s", "61 * * * *", ok=False)
    assert "schedule: Invalid schedule: bad minute field '61'" in invalid.stderr

    no_token = cli.run("jobs", "ls", ok=False, env={"OCTOPUS_TOKEN": ""})
    assert "no API token" in no_token.stderr
    for done in (bad_token, unreachable, missing, invalid, no_token):
        assert "Traceback" not in done.stderr


def test_text_from_the_server_is_shown_as_it_is_never_read_as_markup(cli: Cli) -> None:
    # Rich reads "[/x]" as a closing tag: printed as markup, it crashed every listing.
    cli.run(
        "jobs", "create", "markup-text", "-c", "true", "-d", "[/x] [bold]", "--label", "[/x]"
    )  # fmt: skip
    listing = cli.run("jobs", "ls").stdout
    (row,) = [line for line in listing.splitlines() if line.startswith("markup-text")]
    assert "labels [/x]" in row
    shown = cli.run("jobs", "show", "markup-text").stdout
    assert "[/x] [bold]" in shown and "labels [/x]" in shown

    # No worker has the label: the server's reason quotes it, in the runs list and a run.
    run_id = cli.run("jobs", "run", "markup-text").stdout.strip()
    wait_until(lambda: "[/x]" in cli.json("runs", "show", run_id)["reason"], 30, what="the reason")
    assert (
        "no online worker matches labels [/x]"
        in cli.run("runs", "ls", "--job", "markup-text").stdout
    )
    assert "no online worker matches labels [/x]" in cli.run("runs", "show", run_id).stdout
    cli.run("runs", "cancel", run_id)
    cli.run("jobs", "rm", "markup-text", "--yes")
    assert "markup-text" not in cli.run("jobs", "ls").stdout


def test_with_json_errors_are_json_on_stderr(cli: Cli) -> None:
    missing = cli.run("jobs", "show", "no-such-job", "--json", ok=False)
    assert (missing.returncode, missing.stdout) == (1, "")
    assert json.loads(missing.stderr) == {
        "error": "there is no job named 'no-such-job' (see `octopus jobs ls`)",
        "detail": None,
    }
    invalid = cli.run(
        "jobs", "create", "bad-cron", "-c", "true", "-s", "61 * * * *", "--json", ok=False
    )
    error = json.loads(invalid.stderr)
    assert error["error"].startswith("invalid input:")
    (problem,) = error["detail"]
    assert problem["field"] == "schedule"
    assert problem["message"].startswith("Invalid schedule: bad minute field '61'")


def test_login_saves_url_and_token_for_later_commands(
    cli: Cli, server: OctopusUp, token: str
) -> None:
    bare = {"OCTOPUS_URL": "", "OCTOPUS_TOKEN": ""}
    said = cli.run("login", "--url", server.url, "--token", token, env=bare).stdout
    assert "as admin (admin)" in said
    config = Path(cli.env["OCTOPUS_CLI_CONFIG"])
    assert oct(config.stat().st_mode & 0o777) == "0o600"
    assert cli.run("workers", "ls", env=bare).returncode == 0
    refused = cli.run("login", "--url", server.url, "--token", "oct_wrong", env=bare, ok=False)
    assert "refused the token" in refused.stderr


def test_import_crontab(cli: Cli) -> None:
    crontab = cli.cwd / "crontab"
    crontab.write_text(
        "PATH=/usr/bin:/bin\n@reboot /opt/start.sh\n@daily /opt/bin/cleanup.sh --old\n"
        "*/5 * * * * /opt/bin/poll.py\n61 * * * * /bin/true\n"
    )
    dry = cli.run("import-crontab", str(crontab), "--prefix", "web1-", "--tz", "UTC", "--dry-run")
    assert "+ create  web1-cleanup" in dry.stdout and "Nothing was changed" in dry.stdout
    assert f"{crontab}:2: not converted: @reboot is not supported" in dry.stderr
    assert f"{crontab}:5: not converted: invalid schedule: bad minute field '61'" in dry.stderr
    assert not [j for j in cli.json("jobs", "ls") if j["name"].startswith("web1-")]
    cli.run("import-crontab", str(crontab), "--prefix", "web1-", "--tz", "UTC")
    job = cli.json("jobs", "show", "web1-poll")
    assert (job["schedule"], job["env"], job["command"]) == (
        "*/5 * * * *",
        {"PATH": "/usr/bin:/bin"},
        "/opt/bin/poll.py",
    )
    again = cli.run("import-crontab", str(crontab), "--prefix", "web1-", "--tz", "UTC")
    assert "0 created, 0 updated, 0 deleted, 2 unchanged" in again.stdout


def test_import_crontab_never_overwrites_a_job_made_by_hand(cli: Cli) -> None:
    cli.run("jobs", "create", "web2-backup", "-c", "/srv/hand-made-backup.sh")
    crontab = cli.cwd / "crontab-web2"
    crontab.write_text("@daily /opt/backup.sh --full\n")
    refused = cli.run("import-crontab", str(crontab), "--prefix", "web2-", ok=False)
    assert refused.returncode == 1
    assert "these jobs exist and were not imported from a crontab: web2-backup" in refused.stderr
    assert cli.json("jobs", "show", "web2-backup")["command"] == "/srv/hand-made-backup.sh"
    cli.run("import-crontab", str(crontab), "--prefix", "web2-", "--replace")
    assert cli.json("jobs", "show", "web2-backup")["command"] == "/opt/backup.sh --full"


def test_export_then_apply_on_an_empty_server_reproduces_the_jobs(cli: Cli, tmp_path: Path) -> None:
    cli.run(
        "jobs",
        "create",
        "etl-orders",
        "-c",
        "etl --from yesterday {args}",
        "-s",
        "*/30 9-17 * * 1-5",
        "--tz",
        "Europe/Berlin",
        "--env",
        "DB=orders",
        "--label",
        "python3.11",
        "--timeout",
        "600",
        "--set",
        "concurrency=allow",
        "--set",
        "max_parallel=3",
        "--set",
        "retry_backoff_kind=exponential",
        "--description",
        "orders into the warehouse",
        "--disabled",
    )
    exported = cli.run("export").stdout
    assert "etl-orders" in exported and exported.startswith("# Octopus jobs exported")
    jobs_file = tmp_path / "jobs.yaml"
    jobs_file.write_text(exported)

    second = OctopusUp(tmp_path / "second").start()
    try:
        other = Cli(second.url, make_api_token(second.url), tmp_path / "home2")
        assert other.json("jobs", "ls") == []
        dry = other.run("apply", str(jobs_file), "--dry-run").stdout
        assert "+ create  etl-orders" in dry and other.json("jobs", "ls") == []
        other.run("apply", str(jobs_file))
        assert other.run("export").stdout.split("\n", 2)[2] == exported.split("\n", 2)[2]
        assert other.json("jobs", "show", "etl-orders")["max_parallel"] == 3

        # Change the file: one job edited, the rest pruned.
        jobs_file.write_text(
            "jobs:\n- name: etl-orders\n  command: etl --from yesterday {args}\n"
            "  schedule: '0 6 * * *'\n"
        )
        dry = other.run("apply", str(jobs_file), "--prune", "--dry-run").stdout
        assert (
            "~ update  etl-orders" in dry and "schedule: '*/30 9-17 * * 1-5' → '0 6 * * *'" in dry
        )
        assert "- delete" in dry
        other.run("apply", str(jobs_file), "--prune")
        assert [j["name"] for j in other.json("jobs", "ls")] == ["etl-orders"]

        # A bad file changes nothing and says where the problem is.
        jobs_file.write_text(
            "jobs:\n- name: ok-job\n  command: 'true'\n- name: broken\n  command: 'true'\n"
            "  schedule: '* * 32 * *'\n"
        )
        bad = other.run("apply", str(jobs_file), ok=False)
        assert (
            "job 2 (broken) schedule: Invalid schedule: bad day-of-month field '32'" in bad.stderr
        )
        assert [j["name"] for j in other.json("jobs", "ls")] == ["etl-orders"]
        jobs_file.write_text("jobs: [unclosed\n")
        assert "is not valid YAML" in other.run("apply", str(jobs_file), ok=False).stderr
    finally:
        assert second.stop() == 0, second.log()
