"""`python -m octopus.cli …` is the `octopus` command."""

from __future__ import annotations

from octopus.cli import main

main()
