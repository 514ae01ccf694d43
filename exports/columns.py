"""A record type as spreadsheet columns, derived from its pydantic model: the templates people
fill (`exports.templates`) and the uploads read back (`exports.upload_rows`) share them.

A column is a field of plain value (text, a code, several codes, a date, a decimal, a whole
number, yes/no) or a field of a nested object of plain values (`provider.name`). A list of
objects (a contract's fund lines, a plan's projects) has no column: the explanation sheet names
it, and a record type that requires one is sent through the API instead.
"""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from functools import cache
from types import NoneType, UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter

from domain import vocabulary
from domain.records import Record

ID_HEADER = "记录编号"
# The Chinese header of each wire name; a field not listed takes the Chinese of its description.
HEADERS = {
    "id": ID_HEADER, "town": "镇(街道)代码", "project": "项目编号", "occurred_on": "发生日期", "domain": "服务领域",
    "service_type": "服务类型", "recipient_category": "服务对象类别", "recipient_ref": "服务对象编号",
    "village": "村(居)", "person_times": "服务人次", "hours": "服务时长（小时）", "source": "资金来源",
    "amount": "金额（元）", "purpose": "用途", "voucher": "凭证号", "level": "资金级次", "kind": "类型",
    "scopes": "检查范围", "by": "检查层级", "findings": "检查发现", "issues_found": "是否发现问题",
    "rectification_due": "整改期限", "inspection": "检查记录编号", "note": "说明", "contract_year": "合同年度",
    "submitted_on": "提交日期", "summary": "摘要", "score": "评分", "evaluator": "评估方",
    "evaluator_name": "评估机构名称", "grade": "等级", "done_on": "完成日期", "record": "被作废记录编号",
    "reason": "原因", "host_facility": "依托场所", "address": "地址", "established_on": "建站日期",
    "text": "标牌文字", "hung_on": "悬挂日期", "item": "设备", "quantity": "数量", "recorded_on": "登记日期",
    "person_ref": "人员编号", "role": "角色", "assigned_on": "到岗日期", "released_on": "离岗日期",
    "category": "类别", "posted_on_wall": "是否上墙", "adopted_on": "制定日期", "name": "名称",
    "purchaser_kind": "购买主体类型", "provider.name": "承接机构名称", "provider.kind": "承接机构类型",
    "provider.credit_code": "承接机构统一社会信用代码", "method": "采购方式", "contract_start": "合同开始日期",
    "contract_end": "合同结束日期", "domains": "服务领域（可多项）", "key_recipients": "重点服务对象（可多项）",
    "year": "年度", "document": "文件", "allocated_on": "下达日期", "valid_from": "生效日期", "valid_to": "失效日期",
    "aliases": "别名（可多项）", "condition": "退出情形", "exited_on": "退出日期", "successor_project": "接续项目编号",
    "period": "半年度", "purchaser": "购买主体", "people_served": "服务人数", "collected_on": "采集日期",
    "reported_on": "报告日期", "progress": "进度报告编号", "problem": "问题编号", "resolved_on": "解决日期",
    "emergency_plan.document": "应急预案文件", "emergency_plan.dated_on": "应急预案印发日期",
}
RECORD_NAMES = {
    "service_delivered": "服务台账", "fund_spent": "资金台账", "inspection_done": "检查记录",
    "rectification_done": "整改记录", "station_established": "服务站设立", "signboard_hung": "标牌悬挂",
    "equipment_recorded": "设备登记", "staff_assigned": "人员到岗", "staff_released": "人员离岗",
    "rules_adopted": "制度建立", "project_contracted": "项目合同", "self_evaluation_submitted": "项目自评",
    "final_evaluation_done": "终期评估", "progress_reported": "进度报告", "problem_resolved": "问题解决",
    "record_voided": "记录作废", "provider_exited": "承接机构退出", "linked_figures_collected": "对接项目数据",
    "village_registered": "村(居)登记", "purchase_plan_drafted": "购买计划", "budget_allocated": "预算下达",
}
Kind = Literal["text", "code", "codes", "date", "decimal", "int", "bool"]
RULES = {
    "code": "从下拉列表选择，中文名称或代码均可 / pick from the list: the Chinese label or the code",
    "codes": "一项或多项，以“、”或逗号分隔，中文名称或代码均可 / one or more, separated by 、 or commas",
    "date": "日期，如 2025-03-18 或 2025/3/18，或 Excel 日期单元格 / a date: 2025-03-18, 2025/3/18 or a date cell",
    "decimal": "十进制数，最多两位小数 / a decimal, at most 2 places",
    "int": "整数 / a whole number",
    "bool": "是 或 否 / yes or no",
    "text": "文字，不得含身份证号、手机号等个人信息 / text, never an ID or phone number",
}
EXAMPLES: dict[str, Any] = {"codes": "示例", "date": "2025-03-18", "decimal": "1.50", "int": 1, "bool": "否", "text": "示例"}


@dataclass(frozen=True)
class Column:
    path: tuple[str, ...]  # the field, or the nested object's field
    header: str  # Chinese
    required: bool
    kind: Kind
    group: str | None  # the vocabulary group of a coded column
    codes: tuple[str, ...]  # the codes a coded column takes
    rule: str
    example: Any

    @property
    def wire(self) -> str:
        return ".".join(self.path)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(vocabulary.label(self.group, code) for code in self.codes) if self.group else ()


@dataclass(frozen=True)
class Layout:
    record_type: str
    name: str  # Chinese
    columns: tuple[Column, ...]
    left_out: tuple[str, ...]  # fields with no column: lists of objects


def importable_types() -> dict[str, type[BaseModel]]:
    """The record types a district's batch takes, by wire name."""
    return {cls.model_fields["type"].annotation.__args__[0]: cls for cls in get_args(get_args(Record)[0])}


@cache
def layout(record_type: str) -> Layout:
    """The record type's columns, `记录编号` first; KeyError for a type no district records."""
    model = importable_types()[record_type]
    columns, left_out = [Column(("id",), ID_HEADER, False, "text", None, (), _id_rule(), "")], []
    for name, field in model.model_fields.items():
        if name in ("id", "type"):
            continue
        made = _columns((name,), field.rebuild_annotation(), field.is_required(), field.description, field.examples)
        if made is None:
            left_out.append(name)
        else:
            columns += made
    return Layout(record_type, RECORD_NAMES.get(record_type, record_type), tuple(columns), tuple(left_out))


def _id_rule() -> str:
    return ("留空则按文件内容和行号自动生成；同一文件再次上传不会重复保存 / left blank, made from the file's content and"
            " the row, so the same file uploaded again is stored once")


def _columns(path: tuple[str, ...], annotation: Any, required: bool, description: str | None,
             examples: list[Any] | None = None) -> list[Column] | None:
    inner = _without_none(annotation)
    if isinstance(inner, type) and issubclass(inner, BaseModel):
        nested = [_columns((*path, name), f.rebuild_annotation(), required and f.is_required(), f.description)
                  for name, f in inner.model_fields.items()]
        return None if any(c is None for c in nested) else [c for made in nested for c in made]
    kind, codes, group = _kind(inner)
    if kind is None:
        return None
    wire = ".".join(path)
    rule = RULES[kind]
    schema = TypeAdapter(inner).json_schema()
    if kind == "text" and "pattern" in schema:
        rule = f"格式 / pattern {schema['pattern']}"
    elif kind == "text" and "maxLength" in schema:
        rule = f"{rule}；最多 {schema['maxLength']} 字 / at most {schema['maxLength']} characters"
    if description:
        rule = f"{rule}。{description}"
    example = (examples or schema.get("examples") or [None])[0] or (vocabulary.label(group, codes[0]) if group else EXAMPLES[kind])
    header = HEADERS.get(wire) or (description.split(" / ")[0][:20] if description else wire)
    return [Column(path, header, required, kind, group, codes, rule, example)]


def _without_none(annotation: Any) -> Any:
    if get_origin(annotation) is Annotated and get_origin(get_args(annotation)[0]) in (Union, UnionType):
        annotation = get_args(annotation)[0]  # an optional field's description, kept by the caller
    if get_origin(annotation) in (Union, UnionType):
        kept = [arg for arg in get_args(annotation) if arg is not NoneType]
        return kept[0] if len(kept) == 1 else annotation
    return annotation


def _kind(annotation: Any) -> tuple[Kind | None, tuple[str, ...], str | None]:
    """What a cell of the type holds, the codes it may take and their vocabulary group."""
    base = get_args(annotation)[0] if get_origin(annotation) is Annotated else annotation
    if get_origin(base) is Literal:
        members = get_args(base)
        return "code", tuple(str(m) for m in members), _group(type(members[0]))
    if get_origin(base) is list:
        kind, codes, group = _kind(get_args(base)[0])
        return ("codes", codes, group) if kind in ("code", "text") else (None, (), None)
    if isinstance(base, type) and issubclass(base, Enum):
        return "code", tuple(m.value for m in base), _group(base)
    for kind, python in (("bool", bool), ("int", int), ("date", date), ("decimal", Decimal), ("text", str)):
        if isinstance(base, type) and issubclass(base, python):
            return kind, (), None
    return None, (), None


def _group(enum: type) -> str | None:
    """The vocabulary group an enum was made from: its name in snake case (`FundSource`: fund_source)."""
    group = re.sub(r"(?<!^)(?=[A-Z])", "_", enum.__name__).lower()
    return group if vocabulary.codes(group) else None
