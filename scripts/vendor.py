"""Vendored third-party files, pinned by version and sha256 in static/vendor/vendor.lock.json.

    python scripts/vendor.py check    # offline: every file exists and matches its sha256 (CI runs this)
    python scripts/vendor.py fetch    # re-fetch each package from the npm registry, verify, rewrite the lock

`fetch` uses `npm pack PACKAGE@VERSION` (the registry's signed tarball) and copies the named
file out of it; it fails if the tarball's file differs from the locked sha256 unless --update.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"
LOCK = VENDOR / "vendor.lock.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def entries() -> list[dict]:
    return json.loads(LOCK.read_text())["files"]


def check() -> list[str]:
    problems = []
    for e in entries():
        path = VENDOR / e["file"]
        if not path.exists():
            problems.append(f"missing {e['file']}")
        elif sha256(path) != e["sha256"]:
            problems.append(f"{e['file']}: sha256 {sha256(path)} != locked {e['sha256']}")
    listed = {e["file"] for e in entries()} | {LOCK.name}
    for path in VENDOR.iterdir():
        if path.name not in listed:
            problems.append(f"{path.name} is in static/vendor but not in the lock file")
    return problems


def fetch(update: bool = False) -> None:
    data = json.loads(LOCK.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        for e in data["files"]:
            spec = f"{e['package']}@{e['version']}"
            out = subprocess.run(["npm", "pack", spec, "--silent", "--pack-destination", tmp],
                                 check=True, capture_output=True, text=True).stdout.strip()
            with tarfile.open(Path(tmp) / out.splitlines()[-1]) as tar:
                content = tar.extractfile(f"package/{e['source']}").read()
            digest = hashlib.sha256(content).hexdigest()
            if digest != e["sha256"] and not update:
                raise SystemExit(f"{spec} {e['source']}: registry sha256 {digest} differs from the lock")
            (VENDOR / e["file"]).write_bytes(content)
            e["sha256"] = digest
            print(f"{spec}: {e['file']} sha256 {digest}")
    LOCK.write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "check"
    if cmd == "fetch":
        fetch(update="--update" in sys.argv)
    else:
        found = check()
        print("\n".join(found) or f"{len(entries())} vendored files match the lock")
        sys.exit(1 if found else 0)
