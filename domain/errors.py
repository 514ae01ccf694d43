"""The domain's own exceptions. Each carries its message in Chinese and English."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one record of a batch."""

    index: int
    record_id: str
    field: str | None
    zh: str
    en: str
    owner: str | None = None  # the level whose duty the record is, when the caller's it is not


class RuleViolation(Exception):
    """A record breaks a rule of the domain; raised before any event is triggered."""

    def __init__(self, field: str | None, zh: str, en: str):
        super().__init__(f"{zh} / {en}")
        self.field = field
        self.zh = zh
        self.en = en


class OutOfScope(RuleViolation):
    """The caller may not write this record (a station writing for another town)."""


class NotYourDuty(OutOfScope):
    """The record is another level's duty (职责分工), and the caller is not above it to write on its behalf."""

    def __init__(self, owner: str, zh: str, en: str):
        super().__init__("type", zh, en)
        self.owner = owner


class BatchRejected(Exception):
    """Some records of a batch are bad; nothing of the batch was stored."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} record(s) rejected")
        self.problems = problems


class BatchForbidden(BatchRejected):
    """Some records of a batch lie outside the caller's scope; nothing was stored."""


class BatchNotYourDuty(BatchForbidden):
    """Some records of a batch are other levels' duties; nothing was stored."""


class RecordConflict(Exception):
    """Record ids already used for other content; nothing of the batch was stored."""

    def __init__(self, record_ids: list[str]):
        super().__init__(f"record id(s) already used with other content: {', '.join(record_ids)}")
        self.record_ids = record_ids
