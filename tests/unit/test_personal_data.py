"""Personal data in disguise (issue 27): a mobile or resident ID number written with spaces,
hyphens, dots, `+86`, full-width or Chinese digits is refused by every free-text field of every
record, and by every reference to a person; ordinary numbers are not."""

import enum
import types
import typing
from typing import Annotated, Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, TypeAdapter, ValidationError

from domain import personal_data, values
from domain.records import RECORD_TYPES

DISGUISED = [
    "联系电话 13912345678", "139 1234 5678", "139-1234-5678", "139.1234.5678", "139－1234－5678",
    "+86 139 1234 5678", "+86-13912345678", "0086 13912345678", "(+86)13912345678", "8613912345678",
    "１３９１２３４５６７８", "１３９ １２３４ ５６７８", "＋８６ １３９１２３４５６７８", "幺三九一二三四五六七八",
    "身份证 350203198512310026", "3502 0319 8512 3100 26", "350203-19851231-0026",
    "３５０２０３１９８５１２３１００２６", "35020319900101123x", "R-13912345678-1",
]
ORDINARY = [
    "2025年3月18日上门探访，服务1.5小时", "思民〔2025〕12号", "金额 13,912.50 元", "区号 0592",
    "2025-03-18 13:00", "第139号", "1391234567", "139123456789", "12912345678", "统一社会信用代码 91350200MA2XXXXX0X",
    "350203198512310027（合同编号）",  # 18 digits whose check character is not an ID number's
]


@pytest.mark.parametrize("text", DISGUISED)
def test_a_number_in_disguise_is_found(text):
    assert personal_data.found_in(text) in ("mobile", "resident_id")


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_numbers_are_not_taken_for_personal_data(text):
    assert personal_data.found_in(text) is None


# -- every field --------------------------------------------------------------------------------

def _validators(metadata: typing.Iterable[Any]) -> set[Any]:
    return {getattr(m, "func", None) for m in metadata}


def _has_pattern(metadata: typing.Iterable[Any]) -> bool:
    return any(getattr(m, "pattern", None) for m in metadata) or any(
        getattr(c, "pattern", None) for m in metadata for c in getattr(m, "metadata", ()))


def string_fields(model: type[BaseModel], path: str = "") -> typing.Iterator[tuple[str, Any, list[Any]]]:
    """(dotted name, annotation, metadata) of every field of the model, nested models included,
    whose values are strings, however wrapped (optional, in a list)."""
    for name, field in model.model_fields.items():
        yield from _strings(f"{path}{name}", field.annotation, list(field.metadata), field)


def _strings(name: str, annotation: Any, metadata: list[Any], field: Any) -> typing.Iterator:
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        base, *more = typing.get_args(annotation)
        yield from _strings(name, base, [*metadata, *more], field)
    elif origin in (typing.Union, types.UnionType, list):
        for arg in typing.get_args(annotation):
            yield from _strings(name, arg, metadata, field)
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield from string_fields(annotation, f"{name}.")
    elif annotation is str:
        yield name, Annotated[str, *metadata] if metadata else str, metadata


def every_string_field() -> list[tuple[str, Any, list[Any]]]:
    return [(f"{record_type}.{name}", annotation, metadata) for record_type, model in sorted(RECORD_TYPES.items())
            for name, annotation, metadata in string_fields(model)]


FREE_TEXT = [(name, annotation) for name, annotation, metadata in every_string_field()
             if values._free_of_personal_data in _validators(metadata)]
REFERENCES = [(name, annotation) for name, annotation, metadata in every_string_field()
              if values._pseudonymous in _validators(metadata)]


def test_every_string_field_is_free_text_screened_a_pseudonym_or_a_code_of_fixed_shape():
    loose = [name for name, _, metadata in every_string_field()
             if not _validators(metadata) & {values._free_of_personal_data, values._pseudonymous}
             and not _has_pattern(metadata) and values._credit_code not in _validators(metadata)]
    assert not loose, f"string fields neither screened nor of a fixed shape: {loose}"
    assert len(FREE_TEXT) >= 25 and {"fund_spent.voucher", "record_voided.reason", "purchase_plan_drafted"
                                     ".exit_conditions.description"} <= {name for name, _ in FREE_TEXT}
    assert {"service_delivered.recipient_ref", "staff_assigned.person_ref"} <= {name for name, _ in REFERENCES}


@pytest.mark.parametrize("name, annotation", FREE_TEXT, ids=[name for name, _ in FREE_TEXT])
def test_every_free_text_field_refuses_each_disguise(name, annotation):
    adapter = TypeAdapter(annotation)
    accepted = []
    for text in DISGUISED:
        try:
            adapter.validate_python(text)
            accepted.append(text)
        except ValidationError:
            pass
    assert not accepted, f"{name} took {accepted}"
    assert adapter.validate_python("2025年3月18日上门探访 第139号") == "2025年3月18日上门探访 第139号"


REFERENCE_DISGUISES = ["R-13912345678-1", "R-139-1234-5678", "R.139.1234.5678", "R-8613912345678",
                       "R13912345678", "R-350203198512310026", "R-350203-19851231-0026", "R-35020319900101123x-2",
                       "R-13912345678a", "R-x13912345678", "R13912345678x", "R-350203198512310026a",
                       "5f1c2d3e-aaaa-4bbb-8ccc-13912345678f"]


@pytest.mark.parametrize("name, annotation", REFERENCES, ids=[name for name, _ in REFERENCES])
def test_every_reference_to_a_person_refuses_a_number_inside_it(name, annotation):
    adapter = TypeAdapter(annotation)
    for reference in REFERENCE_DISGUISES:
        with pytest.raises(ValidationError):
            adapter.validate_python(reference)
    for pseudonym in ("R-7f3a9c21", "R-1559484702f", "5f1c2d3e-aaaa-4bbb-8ccc-139123456789"):
        assert adapter.validate_python(pseudonym) == pseudonym  # a run of digits no number is


def test_codes_are_what_they_say():  # the walk above takes enums and literals for codes of fixed shape
    assert not [name for name, annotation, _ in every_string_field()
                if isinstance(annotation, type) and issubclass(annotation, enum.Enum)]
    assert Literal  # literals are not strings to the walk: they never reach `annotation is str`


# -- the shortcut: a text with fewer than 11 digits is not read by the patterns -----------------

_DIGITISH = "0123456789１３９一二三幺Xx -.+()R_:"


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet=_DIGITISH, max_size=40))
def test_the_digit_count_shortcut_answers_as_the_patterns_do(text):
    read = personal_data.as_read(text)
    assert personal_data.found_in(text) == personal_data._in_text_read(read)
    assert personal_data.in_reference(text) == personal_data._in_reference_read(read)


def test_the_shortcut_stops_at_the_fewest_digits_a_number_has():
    assert personal_data.in_reference("R-13912345678") == "mobile"  # 11 digits: read
    assert personal_data.too_few_digits(personal_data.as_read("R-1391234567"))  # 10: not
