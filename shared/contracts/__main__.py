"""``python -m shared.contracts release``: snapshot the schema of every contract that has
none yet. Existing snapshots are never rewritten: a released schema is a promise."""

from __future__ import annotations

import json
import sys

from shared.contracts import load_all
from shared.contracts.compat import snapshot_path


def release() -> int:
    written = 0
    for (type_, version), contract in sorted(load_all().items()):
        path = snapshot_path(type_, version)
        if path.exists():
            continue
        path.write_text(
            json.dumps(contract.payload.model_json_schema(), indent=2, ensure_ascii=False) + "\n"
        )
        print(f"released {type_} v{version} -> {path}")
        written += 1
    if not written:
        print("every contract already has a released snapshot")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["release"]:
        print("usage: python -m shared.contracts release", file=sys.stderr)
        sys.exit(2)
    sys.exit(release())
