from __future__ import annotations

import os
import tempfile

# Settings read these at import: keep test runs away from ./var.
os.environ.setdefault("OCTOPUS_DATA_DIR", tempfile.mkdtemp(prefix="octopus-test-"))
os.environ.setdefault("OCTOPUS_SECRET_KEY", "test-secret-key-not-for-production")
