"""YAML read with limits: a jobs file is small, and a few hundred bytes of nested aliases
(a "billion laughs") must not expand into gigabytes before anything checks it."""

from __future__ import annotations

from typing import Any

import yaml

MAX_BYTES = 10 * 1024 * 1024
MAX_VALUES = 1_000_000  # every value of the document as expanded, aliases counted each time


class YamlTooBig(ValueError):
    """The document is larger than a jobs file can be, or expands to too many values."""


def load(text: str, max_bytes: int = MAX_BYTES, max_values: int = MAX_VALUES) -> Any:
    """yaml.safe_load, refusing a document over `max_bytes` or one that expands to more
    than `max_values` values (raise YamlTooBig; yaml.YAMLError for bad YAML)."""
    if len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise YamlTooBig(f"it is larger than {max_bytes // (1024 * 1024)} MiB")
    data = yaml.safe_load(text)
    _count_values(data, max_values)
    return data


def _count_values(data: Any, limit: int) -> None:
    """Walk the value as JSON would write it out; stop as soon as it passes `limit`. The
    walk costs at most `limit` steps, however much the aliases would expand."""
    seen = 0
    stack = [data]
    while stack:
        value = stack.pop()
        seen += 1
        if seen > limit:
            raise YamlTooBig(f"it expands to more than {limit:,} values (nested aliases?)")
        if isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
