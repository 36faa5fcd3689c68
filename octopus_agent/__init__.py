"""The Octopus worker agent. Stands alone: it never imports Django or the server."""

from __future__ import annotations

__version__ = "0.1.0"
