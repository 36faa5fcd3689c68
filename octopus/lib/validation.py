"""Pydantic's validation errors as the sentences people read."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def error_message(error: Mapping[str, Any]) -> str:
    """One error of `ValidationError.errors()`: our own rule's sentence without pydantic's
    "Value error, " prefix, else pydantic's message."""
    ctx = error.get("ctx") or {}
    if error.get("type") == "value_error" and "error" in ctx:
        return str(ctx["error"])
    return str(error.get("msg", "invalid"))
