"""Vendored third-party files, pinned by version and sha256 in a lock file per directory:
static/vendor/vendor.lock.json (served to browsers) and tests/browser/vendor/vendor.lock.json
(test-only tools such as axe-core). Each lock's files live beside it.

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
LOCK_NAME = "vendor.lock.json"
LOCKS = (ROOT / "static" / "vendor" / LOCK_NAME, ROOT / "tests" / "browser" / "vendor" / LOCK_NAME)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def entries(lock: Path) -> list[dict]:
    return json.loads(lock.read_text())["files"]


def check() -> list[str]:
    problems = []
    for lock in LOCKS:
        vendor = lock.parent
        where = vendor.relative_to(ROOT)
        if not lock.exists():
            problems.append(f"missing {where / LOCK_NAME}")
            continue
        for e in entries(lock):
            path = vendor / e["file"]
            if not path.exists():
                problems.append(f"missing {where / e['file']}")
            elif sha256(path) != e["sha256"]:
                problems.append(f"{where / e['file']}: sha256 {sha256(path)} != locked {e['sha256']}")
        listed = {e["file"] for e in entries(lock)} | {LOCK_NAME, "__pycache__"}
        for path in vendor.iterdir():
            if path.name not in listed:
                problems.append(f"{path.name} is in {where} but not in its lock file")
    return problems


def fetch(update: bool = False) -> None:
    for lock in LOCKS:
        _fetch(lock, update)


def _fetch(lock: Path, update: bool) -> None:
    vendor = lock.parent
    data = json.loads(lock.read_text())
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
            (vendor / e["file"]).write_bytes(content)
            e["sha256"] = digest
            print(f"{spec}: {e['file']} sha256 {digest}")
    lock.write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else "check"
    if cmd == "fetch":
        fetch(update="--update" in sys.argv)
    else:
        found = check()
        total = sum(len(entries(lock)) for lock in LOCKS if lock.exists())
        print("\n".join(found) or f"{total} vendored files match their locks")
        sys.exit(1 if found else 0)
