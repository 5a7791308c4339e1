"""Demo wards W01-W08 (the codes the sample HIS export uses)."""
from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.wards.models import Ward

DEMO_WARDS = (
    ("W01", "心内科一病区", "Cardiology 1"),
    ("W02", "呼吸内科病区", "Respiratory medicine"),
    ("W03", "普外科病区", "General surgery"),
    ("W04", "骨科病区", "Orthopaedics"),
    ("W05", "妇产科病区", "Obstetrics and gynaecology"),
    ("W06", "儿科病区", "Paediatrics"),
    ("W07", "神经内科病区", "Neurology"),
    ("W08", "肿瘤科病区", "Oncology"),
)


def generate(rng, options) -> None:
    existing = set(db.session.scalars(select(Ward.code)))
    for code, name, name_en in DEMO_WARDS:
        if code not in existing:
            db.session.add(Ward(code=code, name=name, name_en=name_en))
    db.session.flush()
