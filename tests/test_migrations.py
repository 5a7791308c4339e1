"""The migrations build exactly the schema the models describe, on the test database."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from portal.extensions import db


def test_models_and_migrations_agree(app):
    with db.engine.connect() as con:
        context = MigrationContext.configure(con, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_audit_log_is_append_only_in_the_database(app):
    import pytest
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from portal.audit import services as audit

    audit.record("test.entry", object_type="test", object_id="1")
    db.session.commit()
    for statement in ("UPDATE audit_entries SET action = 'changed'", "DELETE FROM audit_entries"):
        with pytest.raises(DBAPIError, match="append-only"):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.execute(text("SELECT action FROM audit_entries")).scalars().all() == ["test.entry"]


def test_rebuilding_a_table_keeps_the_rows_that_reference_it(app):
    """0007 rebuilds `complaints` in batch mode on SQLite (copy, DROP, rename): the DROP must
    not cascade into complaint_wards / complaint_events (migrations/env.py turns foreign keys
    off around the migrations), on the way down and up again."""
    import os

    from flask_migrate import downgrade, upgrade
    from sqlalchemy import func, select

    from portal.complaints.models import ComplaintEvent, complaint_wards
    from tests.complaints import factories as cf

    cf.case(wards=("W01",))
    db.session.commit()

    def counts():
        return (db.session.scalar(select(func.count()).select_from(complaint_wards)),
                db.session.scalar(select(func.count(ComplaintEvent.id))))

    before = counts()
    assert before[0] == 1 and before[1] >= 1
    db.session.remove()
    directory = os.path.join(os.path.dirname(__file__), "..", "migrations")
    downgrade(directory=directory, revision="0004")
    assert counts() == before
    db.session.remove()
    upgrade(directory=directory)
    assert counts() == before
