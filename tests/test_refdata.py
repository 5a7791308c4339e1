"""portal/refdata.py: reference tables held per process, loaded again after the refresh
interval and at once after this process writes one of their rows."""
from __future__ import annotations

from sqlalchemy import update

from portal import refdata
from portal.complaints import services
from portal.extensions import db
from portal.wards.models import Ward
from tests import factories


def _labels() -> dict[int, str]:
    return dict(services.ward_choices())


def test_loaded_once_then_held(app):
    calls = []

    def load():
        calls.append(1)
        return len(calls)

    assert refdata.held("t", load) == 1 and refdata.held("t", load) == 1
    refdata.forget("t")
    assert refdata.held("t", load) == 2


def test_own_write_seen_at_once_and_dropped_on_rollback(app):
    ward = factories.ward("W01")
    db.session.commit()
    before = _labels()[ward.id]
    ward.name = "改名病区"
    db.session.flush()
    assert "改名病区" in _labels()[ward.id]     # the transaction sees its own change
    db.session.rollback()
    assert _labels()[ward.id] == before           # and forgets it with the rollback
    ward = db.session.get(Ward, ward.id)
    ward.name = "改名病区"
    db.session.commit()
    assert "改名病区" in _labels()[ward.id]


def test_other_process_write_seen_after_the_refresh(app, monkeypatch):
    ward = factories.ward("W01")
    db.session.commit()
    before = _labels()[ward.id]
    db.session.execute(update(Ward).where(Ward.id == ward.id).values(name="别处改名"))
    db.session.commit()   # a Core UPDATE, as another worker's write looks from here
    assert _labels()[ward.id] == before
    monkeypatch.setattr(refdata, "REFRESH_SECONDS", 0.0)
    assert "别处改名" in _labels()[ward.id]
