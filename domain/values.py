"""Value types of the records: exact money, business dates, codes, safe text.

Each type checks its own shape and says what went wrong in Chinese and English, so the
error a district officer sees names the rule, not a parser.
"""

import re
import unicodedata
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, StrictInt, WithJsonSchema

from domain import personal_data

# ASCII digits only: \d would also take full-width and other scripts' digits.
MONEY_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
HOURS_PATTERN = r"^[0-9]{1,6}(\.[0-9]{1,2})?$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
CNY_PLACES = Decimal("0.01")
# Compiled once: every record of a batch is checked against them (a lookup of re's cache each, else).
_MONEY, _DATE = re.compile(MONEY_PATTERN), re.compile(DATE_PATTERN)


def _money(value: Any) -> Decimal:
    if not isinstance(value, str):
        raise ValueError("金额须为字符串形式的十进制数，如 \"1250.50\" / money must be a decimal string such as \"1250.50\", not a JSON number")
    if not _MONEY.fullmatch(value):
        raise ValueError("金额须为元，最多两位小数，如 \"1250.50\" / money must be yuan with at most 2 decimal places, e.g. \"1250.50\"")
    amount = Decimal(value)
    if amount <= 0:
        raise ValueError("金额须大于零 / the amount must be positive")
    return amount.quantize(CNY_PLACES)


def _decimal(pattern: str, what_zh: str, what_en: str):
    shape = re.compile(pattern)

    def parse(value: Any) -> Decimal:
        text = value if isinstance(value, str) else str(value)
        if isinstance(value, bool) or not isinstance(value, (str, int, float)) or not shape.fullmatch(text):
            raise ValueError(f"{what_zh}须为非负十进制数，最多两位小数 / {what_en} must be a non-negative decimal with at most 2 places")
        # Quantised, so "1.5" and "1.50" are the same content when a retry is compared.
        return Decimal(text).quantize(CNY_PLACES)

    return parse


def _iso_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("日期格式须为 YYYY-MM-DD / a date must be written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"日期不存在 / no such date: {value}") from exc


def _nfc(value: Any) -> Any:
    return unicodedata.normalize("NFC", value).strip() if isinstance(value, str) else value


Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    WithJsonSchema({"type": "string", "pattern": MONEY_PATTERN, "examples": ["1250.50"],
                    "description": "元，最多两位小数 / yuan, at most 2 decimal places"}),
]
Hours = Annotated[
    Decimal,
    BeforeValidator(_decimal(HOURS_PATTERN, "时长", "hours")),
    Field(gt=0),
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": HOURS_PATTERN}, {"type": "number", "exclusiveMinimum": 0}],
                    "examples": ["1.5"], "description": "小时 / hours"}),
]
Score = Annotated[
    Decimal,
    BeforeValidator(_decimal(r"^[0-9]{1,3}(\.[0-9]{1,2})?$", "评分", "score")),
    Field(ge=0, le=100),
    WithJsonSchema({"anyOf": [{"type": "string"}, {"type": "number"}], "minimum": 0, "maximum": 100, "examples": ["92.5"]}),
]
BusinessDate = Annotated[
    date,
    BeforeValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2025-03-18"],
                    "description": "中国标准时间的日期 / a date in China Standard Time"}),
]


def _free_of_personal_data(value: str) -> str:
    if kind := personal_data.found_in(value):
        zh, en = personal_data.KINDS[kind]
        raise ValueError(f"文字中含有{zh}；事件不可更改，不得录入个人信息 / the text holds {en}; events cannot be"
                         " changed, so they may not hold personal data")
    return value


def text(max_length: int, min_length: int = 1) -> Any:
    """Free text, NFC-normalised and stripped, within length limits, and refused when it holds
    personal data (`personal_data.found_in`): every free text of a record or a request is one."""
    return Annotated[str, BeforeValidator(_nfc), Field(min_length=min_length, max_length=max_length),
                     AfterValidator(_free_of_personal_data)]


# The codes every edge checks, in one place: a district (6 digits), a town (9), a half year.
DISTRICT_PATTERN = r"^[0-9]{6}$"
TOWN_PATTERN = r"^[0-9]{9}$"
PERIOD_PATTERN = r"^20[0-9]{2}H[12]$"  # 2000H1 to 2099H2
POSITION_MAX = 2**63 - 1  # a position in a district's log is a PostgreSQL bigint

RECORD_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:/\-]{0,127}$"
RecordId = Annotated[str, Field(pattern=RECORD_ID_PATTERN, examples=["svc-2025-000123"])]
TownCode = Annotated[str, Field(pattern=TOWN_PATTERN, examples=["350203001"])]
Count = Annotated[StrictInt, Field(ge=1, le=1_000_000)]


def _pseudonymous(value: str) -> str:
    if kind := personal_data.in_reference(value):
        zh, en = personal_data.KINDS[kind]
        raise ValueError(f"人员编号须为假名化编号，不得含有{zh} / a person reference must be a pseudonym, not hold {en}")
    return value


PersonRef = Annotated[
    str,
    Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]{3,63}$", examples=["R-7f3a9c21"],
          description="假名化编号，不含姓名、身份证号 / pseudonymous reference, never a name or ID number"),
    AfterValidator(_pseudonymous),
]


_CREDIT_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _credit_code(value: str) -> str:
    """Checks the GB 32100-2015 check character of a unified social credit code."""
    value = value.upper()
    if len(value) != 18 or any(c not in _CREDIT_CODE_CHARS for c in value):
        raise ValueError("统一社会信用代码须为18位 / a unified social credit code has 18 characters")
    total = sum(_CREDIT_CODE_CHARS.index(c) * w for c, w in zip(value[:17], _CREDIT_CODE_WEIGHTS, strict=True))
    if _CREDIT_CODE_CHARS[(31 - total % 31) % 31] != value[17]:
        raise ValueError("统一社会信用代码校验位不符 / the check character of the credit code is wrong")
    return value


CreditCode = Annotated[str, BeforeValidator(_nfc), AfterValidator(_credit_code),
                       WithJsonSchema({"type": "string", "minLength": 18, "maxLength": 18,
                                       "examples": ["91350200MA2XXXXX0X"]})]
