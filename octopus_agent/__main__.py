from __future__ import annotations

from octopus_agent.cli import main

main()
