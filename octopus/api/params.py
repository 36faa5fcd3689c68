"""Parameter shapes the routers share."""

from __future__ import annotations

from typing import Annotated

from ninja import Path

# The largest id the databases store: a bigger number in a URL is a 404 waiting to become
# a 500 (SQLite cannot even bind it), so it is refused as invalid input instead.
ID_MAX = 2**63 - 1

ObjectId = Annotated[int, Path(..., ge=1, le=ID_MAX)]
