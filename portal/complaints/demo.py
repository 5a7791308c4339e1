"""Demo complaints, praise and suggestions over the last months, in every state."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from types import SimpleNamespace

from sqlalchemy import select

from portal.auth.models import User
from portal.complaints import changes, services
from portal.complaints.models import Complaint
from portal.extensions import db
from portal.timeutil import LOCAL_TZ, local_today
from portal.wards.models import Ward

COMPLAINTS = (
    ("attitude", "夜班护士语气生硬，家属询问用药时被打断。"),
    ("communication", "出院带药的服用方法没有讲清楚，回家后不知道何时服药。"),
    ("responsiveness", "按呼叫铃十多分钟无人应答。"),
    ("technique", "静脉穿刺两次未成功，患者手背淤青。"),
    ("education", "出院后伤口护理没有书面指导。"),
    ("environment", "病房卫生间地面湿滑，没有防滑提示。"),
    ("cost", "费用清单中有未使用的耗材。"),
    ("safety", "床栏未拉起，老人夜间差点坠床。"),
)
PRAISE = ("感谢责任护士耐心细致的照顾。", "送锦旗感谢病区全体护士。", "来信表扬护士长协调及时。")
SUGGESTIONS = ("建议增加陪护椅。", "建议出院宣教增加视频资料。")
# how far each demo complaint gets: states in workflow order
PATH = ("received", "assigned", "investigating", "responded", "corrective_action",
        "verified", "closed")


def generate(rng, options) -> None:
    if db.session.scalar(select(Complaint.id).limit(1)):
        return
    users = {u.username: u for u in db.session.scalars(select(User))}
    quality, head = users.get("quality"), users.get("headnurse")
    if quality is None or head is None:
        return
    wards = list(db.session.scalars(select(Ward).order_by(Ward.code)))
    categories = {c.code: c.id for c in services.categories()}
    # the demo head nurse acts for every ward, so cases on all wards can move on
    acting_head = SimpleNamespace(id=head.id, role="head_nurse", ward_ids=[w.id for w in wards])
    today = local_today()
    for i in range(48):
        received = _received(rng, today, days_back=rng.randint(0, 180))
        code, text = rng.choice(COMPLAINTS)
        case_wards = [rng.choice(wards[:4] if i % 3 else wards)]
        if rng.random() < 0.15:
            case_wards.append(rng.choice([w for w in wards if w not in case_wards]))
        case = services.file_case(services.Intake(
            kind="complaint", source=rng.choice(("call", "telephone", "in_person", "comment_book",
                                                 "hotline", "survey")),
            description=text, received_at=received, category_id=categories.get(code),
            severity=rng.choice(("low", "medium", "medium", "high", "critical")),
            ward_ids=[w.id for w in case_wards], complainant_name=rng.choice(("李", "赵", "孙")) + "女士",
            complainant_relation=rng.choice(("本人", "女儿", "儿子", "配偶")),
            complainant_phone=f"13{rng.randint(100000000, 999999999)}",
            receiver_id=rng.choice((head.id, quality.id))), quality)
        age = (today - received.date()).days
        _advance(case, PATH[min(len(PATH) - 1, age // 20 + rng.randint(0, 1))], quality,
                 acting_head, today, rng)
    for i in range(18):
        kind = "praise" if i % 4 else "suggestion"
        case = services.file_case(services.Intake(
            kind=kind, source=rng.choice(("letter", "call", "in_person", "forum")),
            description=rng.choice(PRAISE if kind == "praise" else SUGGESTIONS),
            received_at=_received(rng, today, rng.randint(0, 180)),
            praise_type=rng.choice(("praise", "banner", "letter")),
            ward_ids=[rng.choice(wards).id]), quality)
        if rng.random() < 0.7:
            changes.move(case, acting_head, "acknowledge", case.version)
            if rng.random() < 0.6:
                changes.move(case, quality, "close", case.version)
    db.session.flush()


def _received(rng, today, days_back: int) -> datetime:
    day = today - timedelta(days=days_back)
    return datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), LOCAL_TZ)


def _advance(case, target: str, quality, head, today, rng) -> None:
    for state in PATH[1:PATH.index(target) + 1]:
        if state == "assigned":
            changes.move(case, quality, "assign", case.version)
        elif state == "investigating":
            changes.move(case, head, "investigate", case.version)
        elif state == "responded":
            changes.add_cause(case, head, rng.choice(("people", "method", "management")),
                              "交接班流程执行不到位。", "关键环节纳入交班核查单。")
            changes.move(case, head, "respond", case.version,
                         response="已电话致歉并说明改进措施，家属表示理解。")
        elif state == "corrective_action":
            changes.add_action(case, head, "科室组织专项培训并考核。",
                               today + timedelta(days=rng.randint(-10, 20)), owner_name="护士长")
            changes.move(case, head, "plan", case.version)
        elif state == "verified":
            for action in case.actions:
                changes.action_done(case, head, action)
                changes.verify_action(case, quality, action, True, "抽查落实。")
            changes.move(case, quality, "verify", case.version)
        elif state == "closed":
            changes.move(case, quality, "close", case.version)
