"""The words of a demo year: community names, providers, project names, findings.

Plausible, not real: no name here is a real organisation's, and no text holds anything that
looks like personal data (the service would refuse it).
"""

import random

_PLACE_HEADS = "东西南北新兴和安福华明光文德乐康祥瑞龙凤金玉海湖山溪林美"
_PLACE_TAILS = ("苑", "园", "城", "湖", "山", "林", "溪", "港", "厝", "埔", "亭", "里", "庄", "头", "尾", "坂")
_ORG_WORDS = ("同心", "馨和", "启明", "仁爱", "阳光", "致远", "恒善", "暖阳", "康乐", "鹭岛", "嘉禾", "筼筜",
              "明德", "善缘", "聚力", "惠民", "同行", "益心", "晨曦", "春晖")
_ORG_SUFFIX = {
    "social_organization": ("社会工作服务中心", "社工服务社", "公益服务中心", "养老服务中心"),
    "enterprise": ("养老服务有限公司", "健康管理有限公司", "社区服务有限公司"),
    "public_institution": ("社会福利服务中心", "社会工作指导中心"),
}
_CREDIT_PREFIX = {"social_organization": "52", "enterprise": "91", "public_institution": "12"}
_CREDIT_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

PROJECT_NAMES = {
    "elderly_care": ("居家养老上门服务项目", "长者助餐与探访项目", "独居老人关爱项目"),
    "social_assistance": ("困难群众救助协办项目", "社会救助“一门受理”服务项目", "低保家庭帮扶项目"),
    "child_welfare": ("困境儿童关爱保护项目", "留守儿童陪伴成长项目", "儿童之家运营项目"),
    "disability_welfare": ("残疾人康复照料项目", "残疾人居家托养项目"),
    "social_organization": ("社区社会组织孵化培育项目",),
    "charity": ("慈善超市运营项目", "邻里互助慈善项目"),
    "vagrant_relief": ("流浪乞讨人员救助寻亲项目",),
    "marriage": ("婚姻家庭辅导项目",),
    "funeral": ("殡葬改革宣传服务项目",),
    "place_names": ("地名文化保护宣传项目",),
    "old_revolutionary_areas": ("老区村发展帮扶项目",),
}
FINDINGS_OK = ("服务台账齐全，记录规范", "资金使用符合合同约定", "服务对象回访满意度较高", "站点制度上墙，运行规范")
FINDINGS_ISSUES = ("部分服务记录缺少服务对象确认", "资金支出凭证不全", "个别服务未按计划频次开展",
                   "档案未按月归档", "志愿者服务记录不完整", "服务对象信息更新不及时")
RECTIFICATION_NOTES = ("已补齐服务对象确认记录", "已补充支出凭证并完善报销流程", "已调整服务计划并补足服务频次",
                       "档案已按月归档", "已完善志愿者服务登记")
SELF_EVALUATION = ("按合同完成阶段服务指标，服务对象满意度良好", "服务人次达到年度计划的一半以上，资金使用规范",
                   "重点对象覆盖率提升，部分个案仍需跟进")
VOID_REASONS = ("重复录入", "服务对象类别录入错误", "服务日期录入错误", "服务时长录入错误")
SPEND_PURPOSES = ("社工人员薪酬", "上门服务交通补贴", "助餐服务餐费补贴", "活动物资采购", "场地及水电费用",
                  "专业督导费用", "宣传资料印制")
EVALUATORS = ("厦门市社会组织评估中心", "厦门市社会工作评估事务所", "鹭岛公益评估中心")
ROADS = ("湖滨", "厦禾", "莲前", "嘉禾", "仙岳", "金尚", "滨海", "同集", "翔安", "海沧", "集美", "兴港")


def places(rng: random.Random, count: int, rural: bool) -> list[str]:
    """Community (社区) and, in a 镇, village (村) names: distinct within a town."""
    names: list[str] = []
    while len(names) < count:
        name = rng.choice(_PLACE_HEADS) + rng.choice(_PLACE_TAILS) + ("村" if rural and rng.random() < 0.6 else "社区")
        if name not in names:
            names.append(name)
    return names


def provider(rng: random.Random, district_name: str) -> dict:
    kind = rng.choices(tuple(_ORG_SUFFIX), weights=(7, 2, 1))[0]
    city = "厦门市" if rng.random() < 0.5 else f"厦门市{district_name}"
    return {"name": f"{city}{rng.choice(_ORG_WORDS)}{rng.choice(_ORG_SUFFIX[kind])}", "kind": kind,
            "credit_code": credit_code(rng, kind)}


def credit_code(rng: random.Random, kind: str) -> str:
    """A well-formed unified social credit code (GB 32100-2015), its check character right."""
    body = _CREDIT_PREFIX[kind] + "350200" + "".join(rng.choice(_CREDIT_CHARS) for _ in range(9))
    total = sum(_CREDIT_CHARS.index(c) * w for c, w in zip(body, _CREDIT_WEIGHTS, strict=True))
    return body + _CREDIT_CHARS[(31 - total % 31) % 31]


def grade(score: float) -> str:
    return "优秀" if score >= 90 else "良好" if score >= 80 else "合格" if score >= 60 else "不合格"
