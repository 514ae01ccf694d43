"""What every record is: a client-chosen id, a type and the fields of its type, hashed for retries.

Fields added to a record type after records of it were stored are named in the model's `ADDED`:
at their default, they are left out of the content hash, so a record stored before the field
existed and sent again (a tablet's retry, a spreadsheet imported twice) is still a duplicate.
"""

import hashlib
from datetime import date
from decimal import Decimal
from enum import Enum
from functools import cache
from types import NoneType, UnionType
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin

import orjson
from pydantic import BaseModel, ConfigDict, Field

from domain.values import RECORD_ID_PATTERN, Money, RecordId
from domain.vocabulary import FundLevel, FundSource

ProjectId = Annotated[str, Field(pattern=RECORD_ID_PATTERN, examples=["P-350203001-2025"])]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)

    id: RecordId
    ADDED: ClassVar[frozenset[str]] = frozenset()  # fields added after records of the type were stored

    @property
    def town_ref(self) -> str | None:
        """The town the record names directly, if it names one."""
        return getattr(self, "town", None)

    @property
    def business_dates(self) -> dict[str, date]:
        """Every business date of the record, by field name (none may be in the future)."""
        return {k: v for k in _date_fields(type(self)) if (v := getattr(self, k)) is not None}

    def fields(self) -> dict:
        """The record's content, without its id and type: what its event carries."""
        if _plain(type(self)):  # its attributes are what model_dump would make, without the copying
            return {k: v for k, v in vars(self).items() if k != "id" and k != "type"}
        return self.model_dump(exclude={"id", "type"})

    def content_hash(self) -> str:
        """A digest of the record as understood, so a retry with the same content is known:
        SHA-256 of its JSON (`model_dump(mode="json")`) with sorted keys, no spaces and characters
        unescaped (orjson writes what `json.dumps(sort_keys=True, ensure_ascii=False,
        separators=(",", ":"))` writes). A plain record's attributes are written as they are, dates
        and decimals as the JSON dump writes them (tests/unit/test_records.py compares the two)."""
        content = vars(self) if _plain(type(self)) else self.model_dump(mode="json")
        if _added(type(self)):
            content = _without_added(self, dict(content))
        return hashlib.sha256(orjson.dumps(content, default=_decimal_text, option=orjson.OPT_SORT_KEYS)).hexdigest()


def _without_added(model: BaseModel, content: dict[str, Any]) -> dict[str, Any]:
    """The model's content (as dumped) without the added fields left at their defaults, in it or
    in the models it holds."""
    fields = type(model).model_fields
    for name in getattr(type(model), "ADDED", ()):
        if getattr(model, name) == fields[name].default:
            del content[name]
    for name, value in vars(model).items():
        if isinstance(value, BaseModel) and _added(type(value)):
            content[name] = _without_added(value, dict(content[name]))
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel) and _added(type(value[0])):
            content[name] = [_without_added(item, dict(dumped)) for item, dumped in zip(value, content[name], strict=True)]
    return content


@cache
def _added(kind: type[BaseModel]) -> bool:
    """Whether the model, or a model it holds, has fields added after records were stored."""
    if getattr(kind, "ADDED", ()):
        return True
    return any(isinstance(inner, type) and issubclass(inner, BaseModel) and inner is not kind and _added(inner)
               for field in kind.model_fields.values() for inner in _inner_types(field.annotation))


def _inner_types(annotation: Any) -> list[Any]:
    args = get_args(annotation)
    return [annotation] if not args else [t for arg in args for t in _inner_types(arg)]


def _decimal_text(value: Any) -> str:
    if type(value) is Decimal:
        return str(value)
    raise TypeError(f"{type(value).__name__} is not a record's value")


@cache
def _plain(kind: type[BaseModel]) -> bool:
    """Whether every field of the record holds a plain value (text, number, date, decimal, code):
    nothing model_dump would turn into another object. A batch of services is nothing else."""
    return all(_plain_type(field.annotation) for field in kind.model_fields.values())


def _plain_type(annotation: Any) -> bool:
    origin = get_origin(annotation)
    if origin is Literal:
        return True
    if origin is Annotated:
        return _plain_type(get_args(annotation)[0])
    if origin in (Union, UnionType):
        return all(_plain_type(arg) for arg in get_args(annotation))
    return origin is None and isinstance(annotation, type) and issubclass(annotation, _PLAIN)


_PLAIN = (str, int, date, Decimal, Enum, NoneType)


@cache
def _date_fields(kind: type[BaseModel]) -> tuple[str, ...]:
    return tuple(name for name, field in kind.model_fields.items()
                 if field.annotation is date or date in get_args(field.annotation))


class FundLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)
    ADDED: ClassVar[frozenset[str]] = frozenset({"level"})

    source: FundSource
    amount: Money
    level: FundLevel = Field(default="own", description="本级 (own) 或上级下达 (allocated)；缺省为本级 / own by default")
