"""Uploaded discharge lists waiting for, or going through, the import service.

Each upload gets a directory instance/imports/<random token>/ holding the file
(`upload`, never under its own name), `state.json` (status, progress, result) and
`issues.jsonl` (every bad row). The token is the only thing in URLs: no personal
data. The import runs in a background thread that writes its progress to
state.json, which the page polls; the upload is deleted after a successful import
and every job directory after 24 hours.
"""
from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import threading
import time
from pathlib import Path

from flask import abort, current_app

from portal.followups.phones import mark as _l

log = logging.getLogger(__name__)
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,64}")
MAX_AGE_SECONDS = 24 * 3600
STALE_SECONDS = 300      # a running job silent this long died with its process
MSG_FAILED = _l("The import failed unexpectedly; nothing was written. Please try again.")
MSG_STOPPED = _l("The import stopped unexpectedly (the server may have restarted). Upload the "
                 "file again: rows already imported are recognised as duplicates.")
_threads: dict[str, threading.Thread] = {}


def root() -> Path:
    path = Path(current_app.instance_path) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


class Job:
    def __init__(self, token: str):
        self.token = token
        self.dir = root() / token

    @property
    def upload(self) -> Path:
        return self.dir / "upload"

    @property
    def issues(self) -> Path:
        return self.dir / "issues.jsonl"

    def read(self) -> dict:
        return json.loads((self.dir / "state.json").read_text(encoding="utf-8"))

    def write(self, **changes) -> dict:
        state = {**self.read(), **changes} if (self.dir / "state.json").exists() else changes
        tmp = self.dir / f"state.{threading.get_ident()}.tmp"
        tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.dir / "state.json")  # readers never see half a file
        return state


def create(file_storage, user) -> Job:
    """Save an upload under a fresh token; the original name is kept only in state.json."""
    purge_old()
    job = Job(secrets.token_urlsafe(24))
    job.dir.mkdir(mode=0o700)
    file_storage.save(job.upload)
    job.write(user_id=user.id, filename=os.path.basename(file_storage.filename or "")[:255],
              created=time.time(), status="queued", phase="validate", fraction=0.0,
              result=None, error=None)
    return job


def get_or_404(token: str, user) -> tuple[Job, dict]:
    """The job of this user (anyone else's, or an expired one, is 404)."""
    if not TOKEN_RE.fullmatch(token or ""):
        abort(404)
    job = Job(token)
    try:
        state = job.read()
    except (OSError, ValueError):
        abort(404)
    if state.get("user_id") != user.id:
        abort(404)
    if state.get("status") == "running" and not _alive(job):
        state = job.write(status="failed", error={"message": MSG_STOPPED, "params": {}})
    return job, state


def _alive(job: Job) -> bool:
    """Progress is written at least every few seconds while an import runs."""
    if job.token in _threads and _threads[job.token].is_alive():
        return True
    try:
        return time.time() - (job.dir / "state.json").stat().st_mtime < STALE_SECONDS
    except OSError:
        return False


def start(job: Job, valid_only: bool = False) -> None:
    """Run the import in the background (or at once when IMPORT_IN_BACKGROUND is off)."""
    job.write(status="running", phase="validate", fraction=0.0, valid_only=valid_only,
              result=None, error=None)
    app = current_app._get_current_object()
    if not app.config.get("IMPORT_IN_BACKGROUND", True):
        run(app, job.token, valid_only)
        return
    thread = threading.Thread(target=run, args=(app, job.token, valid_only),
                              name=f"import-{job.token[:6]}", daemon=True)
    _threads[job.token] = thread
    thread.start()


def wait(token: str, timeout: float = 60) -> None:
    """Wait for a background import (tests, and a clean shutdown)."""
    thread = _threads.pop(token, None)
    if thread is not None:
        thread.join(timeout)


def run(app, token: str, valid_only: bool) -> None:
    from portal.auth.models import User
    from portal.extensions import db
    from portal.followups.importer import ImportFileError, import_file

    with app.app_context():
        job = Job(token)
        state = job.read()
        last = [0.0]

        def progress(phase: str, fraction: float) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.25 or fraction >= 1.0:
                last[0] = now
                job.write(phase=phase, fraction=round(fraction, 3))

        try:
            user = db.session.get(User, state["user_id"])
            allowed = None if user.sees_all_wards else set(user.ward_ids)
            job.issues.unlink(missing_ok=True)
            result = import_file(str(job.upload), user=user, filename=state["filename"],
                                 valid_only=valid_only, allowed_ward_ids=allowed,
                                 issues_path=str(job.issues), progress=progress,
                                 commit=db.session.commit)
            db.session.commit()
        except ImportFileError as e:
            db.session.rollback()
            job.write(status="failed", error={"message": e.message, "params": e.params})
            return
        except Exception:
            db.session.rollback()
            log.exception("import failed")
            job.write(status="failed", error={"message": MSG_FAILED, "params": {}})
            return
        finally:
            db.session.remove()
        data = result.to_dict()
        data["issues"] = []  # the page reads them from issues.jsonl, a page at a time
        job.write(status="done", phase="write", fraction=1.0, result=data)
        if result.imported:
            job.upload.unlink(missing_ok=True)


def purge_old(max_age: float = MAX_AGE_SECONDS) -> int:
    """Delete job directories (uploads and their bad-row lists) older than a day."""
    removed = 0
    limit = time.time() - max_age
    for path in root().iterdir():
        try:
            if path.is_dir() and path.stat().st_mtime < limit:
                shutil.rmtree(path, ignore_errors=True)
                removed += 1
        except OSError:
            continue
    return removed


def read_issues(job: Job, offset: int = 0, limit: int | None = None):
    """The job's problems, from the JSON-lines file (only the slice asked for is parsed)."""
    from itertools import islice

    from portal.followups.importer import Issue

    if not job.issues.exists():
        return
    with job.issues.open(encoding="utf-8") as fh:
        stop = None if limit is None else offset + limit
        for line in islice(fh, offset, stop):
            yield Issue(**json.loads(line))
