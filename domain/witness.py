"""A checkpoint witnessed in the city's store: a copy of a district's signed checkpoint kept
outside the district's own tables, so that removing or re-signing it there shows (issue 27)."""

from typing import Any

from domain.errors import RuleViolation
from domain.events import FoundingEvent, Provenance, RecordKeeping


class CheckpointWitness(RecordKeeping):
    """One checkpoint's witness: its stream is the district and tree size, so it is written once."""

    class Witnessed(FoundingEvent, RecordKeeping.Created):
        record_type = "checkpoint_witnessed"
        district: str
        checkpoint: dict  # as `audit.checkpoints.Checkpoint.as_json` gives it

    def __init__(self, district: str):
        self.district = district
        self.town = ""
        self.active: dict[str, Any] = {}
        self.founded_by: str | None = None

    @classmethod
    def witness(cls, stream: Any, district: str, checkpoint: dict, record_id: str,
                provenance: Provenance) -> "CheckpointWitness":
        return cls._create(cls.Witnessed, id=stream, district=district, checkpoint=checkpoint,
                           **provenance.event_kwargs(record_id))

    def check_can_void(self, record_id: str) -> None:
        raise RuleViolation("record", "检查点见证不能作废", "a checkpoint's witness cannot be voided")
