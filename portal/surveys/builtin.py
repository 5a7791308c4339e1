"""The four built-in survey templates (data only; migration 0004 inserts them).

Scales are labelled 很不满意 … 很满意; the inpatient survey's overall item is a
Friends-and-Family-style scale whose "don't know" answer has no value but counts
in the denominator of % positive.
"""
from __future__ import annotations

SCALE5_LABELS = [
    ("很不满意", "Very dissatisfied"), ("不满意", "Dissatisfied"), ("一般", "Neutral"),
    ("满意", "Satisfied"), ("很满意", "Very satisfied"),
]

FFT_OPTIONS = [
    {"code": "very_good", "value": 5, "zh": "很好", "en": "Very good"},
    {"code": "good", "value": 4, "zh": "好", "en": "Good"},
    {"code": "neither", "value": 3, "zh": "一般", "en": "Neither good nor poor"},
    {"code": "poor", "value": 2, "zh": "差", "en": "Poor"},
    {"code": "very_poor", "value": 1, "zh": "很差", "en": "Very poor"},
    {"code": "dont_know", "value": None, "zh": "不知道", "en": "Don't know"},
]


def scale5_options() -> list[dict]:
    return [{"code": str(i + 1), "value": i + 1, "zh": zh, "en": en}
            for i, (zh, en) in enumerate(SCALE5_LABELS)]


def _q(kind, zh, en, dimension="", required=False, overall=False, recommend=False, options=None):
    if options is None:
        options = scale5_options() if kind == "scale5" else []
    return {"kind": kind, "text_zh": zh, "text_en": en, "dimension": dimension,
            "required": required, "is_overall": overall, "is_recommend": recommend,
            "options": options}


RECOMMEND = ("您有多大可能向亲友推荐我们病区？（0–10分）",
             "How likely are you to recommend our ward to friends and family? (0–10)")

TEMPLATES = [
    {
        "code": "PHONE-DISCHARGE", "audience": "discharged_patient",
        "title_zh": "出院患者电话回访满意度调查", "title_en": "Discharged patient phone survey",
        "questions": [
            _q("scale5", "护士的服务态度", "The nurses' attitude", "服务态度", True),
            _q("scale5", "出院健康指导是否清楚", "How clear the discharge health advice was",
               "健康教育", True),
            _q("scale5", "呼叫后护士到达是否及时", "How quickly nurses came when called",
               "响应及时"),
            _q("scale5", "护士的技术水平（输液、换药等）", "The nurses' skill (infusions, dressings)",
               "技术水平"),
            _q("scale5", "病区环境（安静、整洁）", "The ward environment (quiet, clean)",
               "病区环境"),
            _q("scale5", "总体而言，您对护理工作满意吗？", "Overall, how satisfied are you with nursing care?",
               required=True, overall=True),
            _q("yes_no", "出院后是否知道复诊时间？", "Do you know when your follow-up visit is?"),
            _q("text", "您还有什么意见或建议？", "Any other comments or suggestions?"),
        ],
    },
    {
        "code": "INPATIENT-SELF", "audience": "inpatient",
        "title_zh": "住院患者满意度自助调查", "title_en": "Inpatient self-service survey",
        "questions": [
            _q("single_choice", "总体而言，您对我们病区的护理服务感受如何？",
               "Overall, how was your experience of our ward's nursing care?",
               required=True, overall=True, options=FFT_OPTIONS),
            _q("scale11", *RECOMMEND, recommend=True),
            _q("scale5", "护士是否尊重、礼貌地对待您", "Nurses treated you with courtesy and respect",
               "服务态度"),
            _q("scale5", "护士是否用您能听懂的方式解释", "Nurses explained things in a way you understood",
               "健康教育"),
            _q("scale5", "按呼叫铃后是否得到及时帮助", "You got help quickly after pressing the call button",
               "响应及时"),
            _q("scale5", "病房夜间是否安静", "The area around your room was quiet at night", "病区环境"),
            _q("text", "有什么可以做得更好？", "What could we do better?"),
        ],
    },
    {
        "code": "DOCTOR-NURSING", "audience": "doctor_on_nursing",
        "title_zh": "医生对护理工作满意度调查", "title_en": "Doctors rating nursing",
        "questions": [
            _q("scale5", "护士执行医嘱的及时性与准确性", "Timely and accurate execution of orders",
               "响应及时", True),
            _q("scale5", "护士病情观察与报告", "Observation and reporting of patients' condition",
               "技术水平", True),
            _q("scale5", "医护沟通与协作", "Doctor–nurse communication and teamwork", "服务态度"),
            _q("scale5", "护士的专科技术水平", "Nurses' specialist skills", "技术水平"),
            _q("scale5", "总体而言，您对本病区护理工作满意吗？",
               "Overall, how satisfied are you with nursing on this ward?",
               required=True, overall=True),
            _q("text", "对护理工作的意见和建议", "Comments and suggestions for nursing"),
        ],
    },
    {
        "code": "NURSE-SELF", "audience": "nurse_self",
        "title_zh": "护士工作满意度调查", "title_en": "Nurses rating their work and pay",
        "questions": [
            _q("scale5", "对工作量与人员配置的满意度", "Workload and staffing", "工作负荷", True),
            _q("scale5", "对薪酬待遇的满意度", "Pay and benefits", "薪酬待遇", True),
            _q("scale5", "对排班的满意度", "Scheduling of shifts", "工作负荷"),
            _q("scale5", "对培训与职业发展机会的满意度", "Training and career development", "职业发展"),
            _q("scale5", "对护理管理与支持的满意度", "Management and support", "管理支持"),
            _q("scale5", "总体而言，您对目前的工作满意吗？", "Overall, how satisfied are you with your work?",
               required=True, overall=True),
            _q("scale11", "您有多大可能向朋友推荐本院作为工作单位？（0–10分）",
               "How likely are you to recommend this hospital as a place to work? (0–10)",
               recommend=True),
            _q("text", "您最希望改进的方面", "What would you most like to see improved?"),
        ],
    },
]
