"""What every record is: a client-chosen id, a type and the fields of its type, hashed for retries."""

import hashlib
import json
from datetime import date
from typing import Annotated

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
        return {k: v for k, v in self if isinstance(v, date)}

    def fields(self) -> dict:
        """The record's content, without its id and type: what its event carries."""
        return self.model_dump(exclude={"id", "type"})

    def content_hash(self) -> str:
        """A digest of the record as understood, so a retry with the same content is known."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True, ensure_ascii=False,
                               separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()


class FundLine(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_enum_values=True)

    source: FundSource
    amount: Money
