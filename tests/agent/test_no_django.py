from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import octopus_agent

REPO = Path(__file__).resolve().parents[2]

# Imports every module of the agent (not __main__, which would start it) in a fresh process.
SCRIPT = """
import importlib, json, pkgutil, sys
import octopus_agent
names = sorted(
    m.name for m in pkgutil.iter_modules(octopus_agent.__path__, "octopus_agent.")
    if m.name != "octopus_agent.__main__"
)
for name in names:
    importlib.import_module(name)
print(json.dumps({"imported": names, "modules": sorted(sys.modules)}))
"""


def test_agent_never_imports_django_or_the_server() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    expected = {
        f"octopus_agent.{path.stem}"
        for path in Path(octopus_agent.__file__).parent.glob("*.py")
        if path.stem not in ("__init__", "__main__")
    }
    assert set(report["imported"]) == expected
    assert "django" not in report["modules"]
    assert not [m for m in report["modules"] if m.startswith(("django.", "octopus."))]
    assert "octopus" not in report["modules"]
