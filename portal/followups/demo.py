"""Demo follow-up data: rules per ward, patients, a year of discharges, tasks and call history.

`flask demo-data --discharges N --seed S` must create a million discharges in
minutes, so rows are generated a chunk at a time with ids assigned here and written
with Core bulk inserts (lists of dicts), never ORM objects one by one. The same seed
gives the same data (relative to today). The W01 demo nurse always finds calls due
today and overdue ones.

Outcome rates of calls already due: about 46% of attempts reach the patient or the
family, half go unanswered (rescheduled; lost after 3), a few are wrong numbers,
refusals, deaths or readmissions; overall about 80% of tasks end reached.
"""
from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import NamedTuple

from faker import Faker
from sqlalchemy import func, select, text

from portal.auth.models import User
from portal.db import utcnow
from portal.extensions import db
from portal.followups.attempts import CLOSING_STATUS
from portal.followups.bulk import bulk_insert
from portal.followups.models import CallAttempt, Discharge, FollowUpRule, FollowUpTask, Patient
from portal.timeutil import LOCAL_TZ, local_today
from portal.wards.models import Ward

CHUNK = 10_000
SCRIPT = ("您好，我是{ward}的护士，今天打电话来了解您出院后的恢复情况。请问您现在感觉怎么样？"
          "伤口/症状有没有变化？是否按医嘱按时服药？饮食和休息怎样？"
          "如有不适请及时复诊，复诊时间为出院后{days}天左右。感谢您的配合，祝您早日康复！")
RULES = (("出院后第3天电话回访", 3, 2), ("出院后第30天电话回访", 30, 5))
DIAGNOSES = {
    "W01": ["冠状动脉粥样硬化性心脏病", "心力衰竭", "高血压病3级", "心房颤动", "急性心肌梗死"],
    "W02": ["社区获得性肺炎", "慢性阻塞性肺疾病急性加重", "支气管哮喘", "支气管扩张伴感染"],
    "W03": ["急性阑尾炎", "胆囊结石伴胆囊炎", "腹股沟疝", "甲状腺结节"],
    "W04": ["股骨颈骨折", "腰椎间盘突出症", "膝关节骨性关节炎", "桡骨远端骨折"],
    "W05": ["足月妊娠", "子宫肌瘤", "剖宫产术后", "卵巢囊肿"],
    "W06": ["支气管肺炎", "急性胃肠炎", "手足口病", "热性惊厥"],
    "W07": ["脑梗死", "短暂性脑缺血发作", "帕金森病", "脑出血恢复期"],
    "W08": ["肺恶性肿瘤（化疗后）", "乳腺恶性肿瘤术后", "结肠恶性肿瘤", "胃恶性肿瘤"],
}
MOBILE_PREFIXES = ("130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 "
                   "166 170 173 175 176 177 178 180 181 182 183 184 185 186 187 188 189 191 193 "
                   "195 196 197 198 199").split()
CONCERNS = ["伤口有些红肿，不知道是否正常", "出院带药吃完了，不清楚是否需要续药", "夜间咳嗽加重",
            "复诊挂号困难", "出院时健康宣教讲得太快，没记住饮食注意事项", "出院结算等待时间太长"]
COMPLIMENTS = ["感谢护士的耐心照顾", "病区环境干净，护士态度很好", "责任护士讲解非常细致",
               "夜班护士很及时，谢谢"]
# per attempt: reached patient, reached family, no answer, busy, wrong number, refused,
# deceased, readmitted
OUTCOME_WEIGHTS = (36, 10, 38, 12, 1.6, 1.2, 0.4, 0.8)
OUTCOMES = ("reached_patient", "reached_family", "no_answer", "busy", "wrong_number", "refused",
            "deceased", "readmitted")
FINAL_STATUS = CLOSING_STATUS  # the worklist's rules: the same outcome closes the same way


def generate(rng, options) -> None:
    wards = {w.code: w for w in db.session.scalars(select(Ward).order_by(Ward.code))}
    if not wards:
        return
    if db.engine.dialect.name == "sqlite":  # a bigger page cache: the indexes outgrow 2 MB
        db.session.execute(text("PRAGMA cache_size=-262144"))
    rules = _rules(wards)
    nurses = _nurses(wards)
    n = int(options.get("discharges", 2000))
    fake = Faker("zh_CN")
    fake.seed_instance(int(options.get("seed", 0)))
    Generator(rng, fake, wards, rules, nurses, int(options.get("seed", 0))).run(n)


class RuleSpec(NamedTuple):
    id: int
    days_after: int
    window_days: int
    max_attempts: int


def _rules(wards) -> dict[int, list[RuleSpec]]:
    have = {w for (w,) in db.session.execute(select(FollowUpRule.ward_id).distinct())}
    for ward in wards.values():
        if ward.id in have:
            continue
        for label, days, window in RULES:
            db.session.add(FollowUpRule(ward=ward, label=label, days_after=days, window_days=window,
                                        max_attempts=3, call_script=SCRIPT.format(ward=ward.name,
                                                                                 days=days + 4)))
    db.session.flush()
    rules: dict[int, list[RuleSpec]] = {}
    for rule in db.session.scalars(select(FollowUpRule).where(FollowUpRule.active.is_(True))
                                   .order_by(FollowUpRule.days_after)):
        rules.setdefault(rule.ward_id, []).append(
            RuleSpec(rule.id, rule.days_after, rule.window_days, rule.max_attempts))
    return rules


def _nurses(wards) -> dict[int, list[int]]:
    """Who logs each ward's calls: the ward's accounts (the demo nurse on W01)."""
    result: dict[int, list[int]] = {}
    for user in db.session.scalars(select(User).where(User.role.in_(("nurse", "head_nurse")))):
        for ward in user.wards:
            result.setdefault(ward.id, []).append(user.id)
    fallback = db.session.scalar(select(User.id).order_by(User.id))
    for ward in wards.values():
        result.setdefault(ward.id, [fallback])
    return result


def _next_id(model) -> int:
    return (db.session.scalar(select(func.max(model.id))) or 0) + 1


class Generator:
    def __init__(self, rng, fake, wards, rules, nurses, seed):
        self.rng, self.wards, self.rules, self.nurses, self.seed = rng, wards, rules, nurses, seed
        self.names = [fake.name() for _ in range(3000)]
        self.nurse_names = [fake.name_female() for _ in range(60)]
        self.today = local_today()
        self.now = utcnow()
        self.ward_list = list(wards.values())
        self.ids = {m: _next_id(m) for m in (Patient, Discharge, FollowUpTask, CallAttempt)}
        self.mrn_base = 900_000_000 + self.ids[Patient]

    def run(self, n: int) -> None:
        w01 = self.wards.get("W01", self.ward_list[0])
        # the demo nurse's list: calls due today, overdue ones in their window, a D+30 today
        forced = [(w01, self.today - timedelta(days=d))
                  for d in (3, 3, 3, 3, 3, 3, 4, 4, 5, 30, 30, 31)][:n]
        done = 0
        while done < n:
            size = min(CHUNK, n - done)
            plan = forced[:size] if done == 0 else []
            self._chunk(size, plan)
            done += size
        self._fix_sequences()

    # -- one chunk of discharges with their patients, tasks and calls ----------------------
    def _chunk(self, size: int, forced: list) -> None:
        rng = self.rng
        patients, discharges, tasks, attempts = [], [], [], []
        keys = set()
        for i in range(size):
            if i < len(forced):
                ward, discharged = forced[i]
            else:
                ward = rng.choice(self.ward_list)
                # a year of history, more of it recent (the list of the last weeks is full)
                back = int(rng.triangular(0, 365, 0))
                discharged = self.today - timedelta(days=back)
            if patients and rng.random() < 0.12:  # a readmission of a patient of this chunk
                patient = rng.choice(patients)
            else:
                patient = self._patient(ward.code)
                patients.append(patient)
            key = (patient["id"], ward.id, discharged)
            while key in keys:  # the same patient twice on one day: a day earlier instead
                discharged -= timedelta(days=1)
                key = (patient["id"], ward.id, discharged)
            keys.add(key)
            stay = rng.randint(1, 20)
            discharge = {"id": self._take(Discharge), "patient_id": patient["id"], "ward_id": ward.id,
                         "admitted_on": discharged - timedelta(days=stay),
                         "discharged_on": discharged,
                         "diagnosis": rng.choice(DIAGNOSES.get(ward.code, DIAGNOSES["W01"])),
                         "attending_nurse": rng.choice(self.nurse_names),
                         "import_batch_id": None, "created_at": self.now}
            discharges.append(discharge)
            self._tasks(discharge, patient, tasks, attempts)
        for model, rows in ((Patient, patients), (Discharge, discharges), (FollowUpTask, tasks),
                            (CallAttempt, attempts)):
            for start in range(0, len(rows), CHUNK):
                bulk_insert(model.__table__, rows[start:start + CHUNK])
        db.session.commit()

    def _take(self, model) -> int:
        value = self.ids[model]
        self.ids[model] = value + 1
        return value

    def _patient(self, ward_code: str) -> dict:
        rng = self.rng
        pid = self._take(Patient)
        if ward_code == "W06":
            age = rng.randint(0, 14)
        elif ward_code == "W05":
            age = rng.randint(20, 45)
        else:
            age = min(int(rng.gauss(62, 15)), 98)
            age = max(age, 18)
        sex = "F" if ward_code == "W05" else rng.choice("MF")
        r = rng.random()
        if r < 0.02:
            phone = None
        elif r < 0.06:
            phone = f"0371-6{rng.randint(0, 9999999):07d}"
        else:
            phone = f"{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 99999999):08d}"
        phone2 = (f"{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 99999999):08d}"
                  if rng.random() < 0.05 else None)
        return {"id": pid, "mrn": str(self.mrn_base + pid), "name": rng.choice(self.names),
                "sex": sex, "birth_date": None, "age_years": age, "phone": phone, "phone2": phone2,
                "consent": True, "contact_purged_at": None, "created_at": self.now,
                "updated_at": self.now}

    def _tasks(self, discharge, patient, tasks, attempts) -> None:
        rng = self.rng
        ended = False  # deceased: the later calls of this discharge are cancelled
        for rule in self.rules.get(discharge["ward_id"], ()):
            due = discharge["discharged_on"] + timedelta(days=rule.days_after)
            window_end = due + timedelta(days=rule.window_days)
            task = {"id": self._take(FollowUpTask), "discharge_id": discharge["id"],
                    "rule_id": rule.id, "ward_id": discharge["ward_id"], "kind": "ward",
                    "due_on": due, "window_end": window_end, "next_attempt_at": None,
                    "status": "pending", "assignee_id": None, "attempts": 0, "last_outcome": None,
                    "completed_at": None, "sampled_task_id": None, "created_at": self.now,
                    "version": 1}
            tasks.append(task)
            if ended:
                task["status"] = "cancelled"
                continue
            if due >= self.today:
                continue  # still ahead, or due today: on the list, untouched
            if patient["phone"] is None and patient["phone2"] is None:
                if window_end < self.today:
                    task["status"] = "lost"
                continue
            open_task = window_end >= self.today  # overdue but still callable: partly worked
            tries = rule.max_attempts if not open_task else rng.choice((0, 0, 1, 1, 2))
            nurse_ids = self.nurses[discharge["ward_id"]]
            for n in range(1, tries + 1):
                if open_task:
                    outcome = rng.choice(("no_answer", "busy"))
                else:
                    outcome = rng.choices(OUTCOMES, OUTCOME_WEIGHTS)[0]
                day = min(due + timedelta(days=n - 1), self.today - timedelta(days=1))
                at = datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)),
                                      LOCAL_TZ).astimezone(UTC)
                attempts.append(self._attempt(task, n, outcome, at, rng.choice(nurse_ids)))
                task["attempts"], task["last_outcome"] = n, outcome
                if outcome in FINAL_STATUS:
                    task["status"] = FINAL_STATUS[outcome]
                    task["completed_at"] = at
                    ended = outcome == "deceased"
                    break
                if n == rule.max_attempts:
                    task["status"], task["completed_at"] = "lost", at
                else:
                    task["next_attempt_at"] = at + timedelta(days=1, hours=rng.choice((-3, 2, 4)))

    def _attempt(self, task, n, outcome, at, nurse_id) -> dict:
        rng = self.rng
        row = {"id": self._take(CallAttempt), "task_id": task["id"], "nurse_id": nurse_id, "at": at,
               "outcome": outcome, "answered_by": None, "health_status": None, "medication": None,
               "concerns": "", "compliments": "", "notes": "",
               "idempotency_key": f"demo-{self.seed}-{task['id']}-{n}"}
        if outcome in ("reached_patient", "reached_family"):
            row["answered_by"] = "patient" if outcome == "reached_patient" else "family"
            row["health_status"] = rng.choices(("better", "same", "worse"), (62, 30, 8))[0]
            row["medication"] = rng.choices(("yes", "no", "unsure"), (82, 7, 11))[0]
            if rng.random() < 0.05:
                row["concerns"] = rng.choice(CONCERNS)
            if rng.random() < 0.08:
                row["compliments"] = rng.choice(COMPLIMENTS)
        return row

    def _fix_sequences(self) -> None:
        """Ids were given here: move PostgreSQL's sequences past them."""
        if db.engine.dialect.name != "postgresql":
            return
        for model in (Patient, Discharge, FollowUpTask, CallAttempt):
            table = model.__tablename__
            db.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"))
        db.session.commit()
