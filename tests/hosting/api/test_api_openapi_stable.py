"""The OpenAPI document is the same in every process: nothing in it may follow set or hash order (clients
generate code from it, and a document that changes between two workers breaks caches and diffs)."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

_PRINT_DOCUMENT = """
import json, sys
from hosting.app.factory import create_app
from hosting.app.settings import Settings
app = create_app(Settings(database_url="sqlite+aiosqlite:///" + sys.argv[1], secret_key="s" * 40))
sys.stdout.write(json.dumps(app.openapi_schema.to_schema(), sort_keys=True))
"""


def test_the_document_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    digests = {}
    # Seeds that gave three different documents when BadgeKit's path parameters followed set order.
    for seed in ("1", "3", "4"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", _PRINT_DOCUMENT, str(tmp_path / f"{seed}.sqlite")],
                             env=env, capture_output=True, check=True, timeout=120).stdout
        assert b'"/systems/{system_slug}/issuers/{issuer_slug}/badges"' in out
        digests[seed] = hashlib.sha256(out).hexdigest()
    assert len(set(digests.values())) == 1, digests
