"""The value types of records (money, hours, dates, text, references, codes), checked
through `parse_record` as a client's JSON would reach them."""

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from domain.records import parse_record


# -- builders: valid records, one per value type they carry --------------------------------

def fund_spent(**kw):
    return {"id": "fs-1", "type": "fund_spent", "project": "P-1", "occurred_on": "2025-04-01",
            "source": "elderly_care", "amount": "1250.50", "purpose": "上门探访交通费", **kw}


def service(**kw):
    return {"id": "svc-1", "type": "service_delivered", "town": "350203001", "occurred_on": "2025-03-18",
            "domain": "elderly_care", "service_type": "visit", "recipient_category": "living_alone_elderly",
            "recipient_ref": "R-7f3a9c21", "hours": "1.5", **kw}


def staff(**kw):
    return {"id": "sa-1", "type": "staff_assigned", "town": "350203001", "person_ref": "S-0001",
            "role": "staff", "assigned_on": "2025-01-20", **kw}


def station(**kw):
    return {"id": "st-1", "type": "station_established", "town": "350203001",
            "host_facility": "other", "address": "民族路1号", "established_on": "2025-01-10", **kw}


def contract(provider=None, **kw):
    return {"id": "pc-1", "type": "project_contracted", "project": "P-1", "town": "350203001", "role": "core",
            "name": "关爱独居老人项目", "purchaser_kind": "district_bureau",
            "provider": {"name": "厦门市某社工服务中心", "kind": "social_organization", **(provider or {})},
            "method": "open_tender", "amount": "300.00", "contract_start": "2025-01-01",
            "contract_end": "2025-12-31", "funds": [{"source": "elderly_care", "amount": "300.00"}],
            "domains": ["elderly_care"], **kw}


def self_evaluation(**kw):
    return {"id": "se-1", "type": "self_evaluation_submitted", "project": "P-1", "contract_year": 1,
            "submitted_on": "2025-06-15", "summary": "按期推进", **kw}


def rejects(data: dict, field: str) -> None:
    """The record is rejected, and the error names `field`."""
    with pytest.raises(ValidationError) as caught:
        parse_record(data)
    locations = [e["loc"] for e in caught.value.errors()]
    assert any(field in loc for loc in locations), locations


# -- money ----------------------------------------------------------------------------------

def test_money_is_a_decimal_string_quantised_to_fen():
    amount = parse_record(fund_spent(amount="1250.5")).amount
    assert amount == Decimal("1250.50") and str(amount) == "1250.50"


def test_money_whole_yuan_gets_two_places():
    assert str(parse_record(fund_spent(amount="12")).amount) == "12.00"


@pytest.mark.parametrize("number", [12.5, 12, Decimal("12.5")])
def test_money_as_a_json_number_is_rejected(number):
    rejects(fund_spent(amount=number), "amount")


@pytest.mark.parametrize("text", ["12.345", "1.", ".5", "-5.00", "+5", "1,250.50", "1e3", " 12.00", "", "abc"])
def test_money_must_be_yuan_with_at_most_two_places(text):
    rejects(fund_spent(amount=text), "amount")


@pytest.mark.parametrize("zero", ["0", "0.00", "0.0"])
def test_money_must_be_positive(zero):
    rejects(fund_spent(amount=zero), "amount")


def test_money_smallest_positive_amount_is_one_fen():
    assert parse_record(fund_spent(amount="0.01")).amount == Decimal("0.01")


def test_money_has_at_most_twelve_integer_digits():
    assert parse_record(fund_spent(amount="999999999999.99")).amount == Decimal("999999999999.99")
    rejects(fund_spent(amount="1000000000000.00"), "amount")


@pytest.mark.parametrize("text", ["１２５０.５０", "١٢.٥"])
def test_money_digits_must_be_ascii(text):
    rejects(fund_spent(amount=text), "amount")


# -- hours ----------------------------------------------------------------------------------

@pytest.mark.parametrize("hours", ["1.5", 1.5, "1.50"])
def test_hours_accept_a_string_or_a_number(hours):
    assert parse_record(service(hours=hours)).hours == Decimal("1.50")


def test_hours_are_quantised_so_equal_hours_hash_alike():
    hashes = {parse_record(service(hours=h)).content_hash() for h in ("1.5", "1.50", 1.5)}
    assert len(hashes) == 1


def test_hours_an_integer_is_accepted():
    assert str(parse_record(service(hours=2)).hours) == "2.00"


@pytest.mark.parametrize("hours", ["0", "0.00", 0, 0.0])
def test_hours_must_be_positive(hours):
    rejects(service(hours=hours), "hours")


@pytest.mark.parametrize("hours", ["1.555", "-1", "1e2", "abc", True, None, [1], "1234567"])
def test_hours_must_be_a_non_negative_decimal_with_two_places(hours):
    rejects(service(hours=hours), "hours")


def test_hours_digits_must_be_ascii():
    rejects(service(hours="１.５"), "hours")


# -- scores ---------------------------------------------------------------------------------

@pytest.mark.parametrize("score", ["92.5", 92.5, "0", "100", 100])
def test_score_between_0_and_100(score):
    assert parse_record(self_evaluation(score=score)).score == Decimal(str(score))


@pytest.mark.parametrize("score", ["100.01", 101, "-1", "92.555", "abc"])
def test_score_outside_0_to_100_or_too_precise_is_rejected(score):
    rejects(self_evaluation(score=score), "score")


# -- dates ----------------------------------------------------------------------------------

def test_date_is_a_yyyy_mm_dd_string():
    assert parse_record(service(occurred_on="2024-02-29")).occurred_on == date(2024, 2, 29)


@pytest.mark.parametrize("day", ["2025/03/18", "20250318", "2025-3-18", "18-03-2025", "2025-03-18T00:00:00",
                                 " 2025-03-18", 20250318, None, ""])
def test_date_in_another_shape_is_rejected(day):
    rejects(service(occurred_on=day), "occurred_on")


@pytest.mark.parametrize("day", ["2025-02-30", "2023-02-29", "2025-13-01", "2025-00-10"])
def test_date_that_does_not_exist_is_rejected(day):
    rejects(service(occurred_on=day), "occurred_on")


# -- text -----------------------------------------------------------------------------------

def test_text_is_nfc_normalised():
    address = parse_record(station(address="Caf" + "e\u0301")).address
    assert address == "Caf\u00e9" and len(address) == 4


def test_text_is_stripped():
    assert parse_record(station(address="  民族路1号\n")).address == "民族路1号"


@pytest.mark.parametrize("blank", ["", "   ", "\u3000\n"])
def test_text_blank_after_stripping_is_rejected(blank):
    rejects(station(address=blank), "address")


def test_text_longer_than_its_limit_is_rejected():
    assert len(parse_record(station(address="路" * 300)).address) == 300
    rejects(station(address="路" * 301), "address")


def test_text_length_is_counted_after_normalisation():
    # 300 characters once "e" + combining acute become one "é"
    assert parse_record(station(address="e\u0301" * 300)).address == "\u00e9" * 300


def test_text_must_be_a_string():
    rejects(station(address=123), "address")


# -- record ids -----------------------------------------------------------------------------

@pytest.mark.parametrize("record_id", ["svc-2025-000123", "a", "A1.b_c:d/e-f", "x" * 128])
def test_record_id_matches_its_pattern(record_id):
    assert parse_record(service(id=record_id)).id == record_id


@pytest.mark.parametrize("record_id", ["", "-abc", ".abc", "a b", "记录1", "x" * 129, "abc\n", "a#b", 123])
def test_record_id_outside_its_pattern_is_rejected(record_id):
    rejects(service(id=record_id), "id")


# -- person references ----------------------------------------------------------------------

@pytest.mark.parametrize("ref", ["R-7f3a9c21", "P.0001", "abcd", "x" * 64, "R:2025:000123"])
def test_person_ref_pseudonymous_is_accepted(ref):
    assert parse_record(service(recipient_ref=ref)).recipient_ref == ref


@pytest.mark.parametrize("ref", [
    "350203198512310026",   # a resident ID number (valid check digit)
    "35020319900101123X",   # ... with its X check character
    "35020319900101123x",
    "13912345678",          # mobile number
    "19912345678",
    "R-13912345678",        # ... behind a short prefix
    "R350203198512310026",
    "R-13912345678-1",      # ... as a part of it, wherever (issue 27)
    "R-139-1234-5678",      # ... split by separators
    "R.139.1234.5678",
    "R-8613912345678",      # ... behind the country code
    "R-350203-19851231-0026",
    "S:2025:13912345678",
    "R-13912345678a",       # ... joined to letters: a pseudonym holding one by chance is refused too
    "h-a13912345678",
    "R-350203198512310026a",
])
def test_person_ref_id_card_or_mobile_is_rejected(ref):
    rejects(service(recipient_ref=ref), "recipient_ref")
    rejects(staff(person_ref=ref), "person_ref")


@pytest.mark.parametrize("ref", ["5f1c2d3e-aaaa-4bbb-8ccc-139123456789", "R-139123456789", "R-12912345678",
                                 "h-a1391234567", "R-1559484702f", "R-7f3a9c21", "1391234567812345",
                                 "R-2025-0318-0001", "S-350203001-000000001",
                                 "350203198512310027"])  # 18 digits, but no ID number: wrong check digit
def test_a_reference_merely_holding_a_digit_run_is_accepted(ref):
    assert parse_record(service(recipient_ref=ref)).recipient_ref == ref


@pytest.mark.parametrize("ref", ["张三", "R-张三", "R 123", "abc", "-abcd", "x" * 65, ""])
def test_person_ref_names_and_malformed_refs_are_rejected(ref):
    rejects(service(recipient_ref=ref), "recipient_ref")
    rejects(staff(person_ref=ref), "person_ref")


# -- unified social credit codes (GB 32100-2015) --------------------------------------------

CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z


def with_check_character(body: str) -> str:
    """The 18-character code: the 17-character body and its check character.

    GB 32100-2015: weight of position i (from 0) is 3**i mod 31; the check character's
    value is 31 - (weighted sum mod 31), where 31 stands for 0.
    """
    total = sum(CODE_CHARS.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    return body + CODE_CHARS[(31 - total % 31) % 31]


def wrong_check_character(code: str) -> str:
    return code[:17] + next(c for c in CODE_CHARS if c != code[17])


@pytest.mark.parametrize("body", ["91350200MA2XXXXX0", "52350203MJ0000001", "12350200426600123", "00000000000000000"])
def test_credit_code_with_its_check_character_is_accepted(body):
    code = with_check_character(body)
    assert parse_record(contract(provider={"credit_code": code})).provider.credit_code == code


def test_credit_code_published_example_is_accepted():
    assert with_check_character("91350100M000100Y4") == "91350100M000100Y43"
    assert parse_record(contract(provider={"credit_code": "91350100M000100Y43"})).provider.credit_code


@pytest.mark.parametrize("body", ["91350200MA2XXXXX0", "52350203MJ0000001", "91350100M000100Y4"])
def test_credit_code_with_a_wrong_check_character_is_rejected(body):
    rejects(contract(provider={"credit_code": wrong_check_character(with_check_character(body))}), "credit_code")


def test_credit_code_lower_case_is_accepted_as_upper_case():
    code = with_check_character("91350200MA2XXXXX0")
    assert parse_record(contract(provider={"credit_code": code.lower()})).provider.credit_code == code


@pytest.mark.parametrize("code", ["91350100M000100Y4", "91350100M000100Y431", "91350100I000100Y43",
                                  "91350100O000100Y43", ""])
def test_credit_code_of_wrong_length_or_alphabet_is_rejected(code):
    rejects(contract(provider={"credit_code": code}), "credit_code")


def test_credit_code_is_optional():
    assert parse_record(contract()).provider.credit_code is None


@pytest.mark.parametrize("field, value", [
    ("address", "民族路1号（联系人 13912345678）"),
    ("purpose", "为350203198512310026购买物品"),
])
def test_free_text_holding_personal_data_is_refused(field, value):
    record = station(**{field: value}) if field == "address" else fund_spent(purpose=value)
    rejects(record, field)


def test_a_voucher_is_screened_like_every_free_text():
    rejects(fund_spent(voucher="13912345678"), "voucher")
    assert parse_record(fund_spent(voucher="记-2025-0318-017")).voucher == "记-2025-0318-017"
