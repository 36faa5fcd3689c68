"""`octopus apply` reads YAML with limits: a tiny file of nested aliases (a "billion
laughs") is refused at once, before anything is sent, instead of expanding to gigabytes."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from octopus.cli import bounded_yaml, main

# 690 bytes that expand to 9**9 (387 million) strings.
BOMB = "\n".join(
    ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [
        f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} ["
        + ",".join([f"*{chr(ord('a') + i - 1)}"] * 9)
        + "]"
        for i in range(1, 9)
    ]
    + ["jobs: [*i]"]
)


def test_an_alias_bomb_is_refused_in_a_bounded_walk() -> None:
    started = time.monotonic()
    with pytest.raises(bounded_yaml.YamlTooBig, match="expands to more than"):
        bounded_yaml.load(BOMB)
    assert time.monotonic() - started < 30  # a bounded walk, not 387 million values


def test_a_file_too_large_is_refused_unread() -> None:
    with pytest.raises(bounded_yaml.YamlTooBig, match="it is larger than 1 MiB"):
        bounded_yaml.load("x: " + "y" * (1024 * 1024), max_bytes=1024 * 1024)


def test_an_ordinary_jobs_file_with_an_alias_loads() -> None:
    text = "defaults: &d {schedule: '0 2 * * *'}\njobs:\n- {name: a, command: x, <<: *d}\n"
    assert bounded_yaml.load(text)["jobs"] == [
        {"name": "a", "command": "x", "schedule": "0 2 * * *"}
    ]


def test_octopus_apply_refuses_the_bomb_before_sending_anything(tmp_path: Path) -> None:
    bomb = tmp_path / "jobs.yaml"
    bomb.write_text(BOMB)
    # Nothing listens on port 9: a request would fail differently.
    env = {"OCTOPUS_URL": "http://127.0.0.1:9", "OCTOPUS_TOKEN": "oct_x", "HOME": str(tmp_path)}
    result = CliRunner().invoke(main, ["apply", str(bomb)], env=env)
    assert result.exit_code != 0
    assert "jobs.yaml is refused: it expands to more than 1,000,000 values" in result.output
