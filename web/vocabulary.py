"""`GET /v1/vocabulary`: every wire code with its labels, so that screens show the project's own
Chinese labels instead of copies of them."""

from fastapi import APIRouter
from pydantic import BaseModel

from domain.vocabulary import TERMS


class Label(BaseModel):
    zh: str
    en: str


class Vocabulary(BaseModel):
    groups: dict[str, dict[str, Label]]


router = APIRouter(tags=["vocabulary 词表"])


@router.get("/v1/vocabulary", response_model=Vocabulary,
            summary="词表 / Every code with its Chinese and English labels")
def vocabulary() -> Vocabulary:
    """Public: codes and labels are no secret. Groups and codes in the order of `vocabulary.csv`."""
    groups: dict[str, dict[str, Label]] = {}
    for term in TERMS:
        groups.setdefault(term.group, {})[term.code] = Label(zh=term.zh, en=term.en)
    return Vocabulary(groups=groups)
