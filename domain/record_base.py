"""What every record is: a client-chosen id, a type and the fields of its type, hashed for retries."""

import hashlib
from datetime import date
from functools import cache
from typing import Annotated, get_args

import orjson
from pydantic import BaseModel, ConfigDict, Field

from domain.values import RECORD_ID_PATTERN, Money, RecordId
from domain.vocabulary import FundSource

ProjectId = Annotated[str, Field(pattern=RECORD_ID_PATTERN, examples=["P-350203001-2025"])]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)

    id: RecordId

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
        return self.model_dump(exclude={"id", "type"})

    def content_hash(self) -> str:
        """A digest of the record as understood, so a retry with the same content is known:
        SHA-256 of its JSON with sorted keys, no spaces and characters unescaped (orjson writes
        what `json.dumps(sort_keys=True, ensure_ascii=False, separators=(",", ":"))` writes)."""
        return hashlib.sha256(orjson.dumps(self.model_dump(mode="json"), option=orjson.OPT_SORT_KEYS)).hexdigest()


@cache
def _date_fields(kind: type[BaseModel]) -> tuple[str, ...]:
    return tuple(name for name, field in kind.model_fields.items()
                 if field.annotation is date or date in get_args(field.annotation))


class FundLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)

    source: FundSource
    amount: Money
