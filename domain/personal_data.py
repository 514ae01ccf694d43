"""Personal data that must never enter an event: resident ID numbers and mobile numbers.

Events cannot be changed or removed, so what is refused here is refused before it is stored.
People are named in events only by the pseudonyms their district keeps the key to.

Every free text of a record or a request is screened by `found_in`, every reference to a person
by `in_reference`. Both read the text as a person would: full-width and other scripts' digits as
digits, Chinese numerals too, and a number split by spaces, hyphens or dots, or behind `+86`, as
the number it is.
"""

import re
import unicodedata

# GB 11643-1999: an 18-character resident ID number ends in an ISO 7064 MOD 11-2 check character.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"

# One separator may stand between any two digits: "139 1234 5678", "139-1234-5678", "139.1234.5678".
_SEP = r"[\s\-.\u2010-\u2015\u2212\u00b7\u30fb]?"
_RESIDENT_ID = re.compile(rf"(?<![0-9])[1-9](?:{_SEP}[0-9]){{16}}{_SEP}[0-9Xx](?![0-9])")
_MOBILE = re.compile(rf"(?<![0-9])(?:\(?(?:\+|00)?86\)?{_SEP})?1{_SEP}[3-9](?:{_SEP}[0-9]){{9}}(?![0-9])")
_SEPARATORS = re.compile(_SEP.removesuffix("?"))
_CHINESE_DIGITS = dict(zip("〇零一二三四五六七八九幺", "001234567891", strict=True))
_CHINESE_DIGIT = re.compile(f"[{''.join(_CHINESE_DIGITS)}]")
_OTHER_DIGIT = re.compile(r"[^\D0-9]")  # a decimal digit of another script (\d is Unicode's)

# A reference is read part by part: the parts between its separators, the first one without a
# letter prefix, and the numbers that consecutive parts of digits spell together.
_REFERENCE_SEPARATORS = re.compile(r"[-_.:\s]")
_LETTER_PREFIX = re.compile(r"^[A-Za-z]{1,8}(?=[0-9])")
_NUMBER_PART = re.compile(r"[0-9]+[Xx]?")
_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9]+[Xx]?")
_MOBILE_NUMBER = re.compile(r"(?:0086|86)?1[3-9][0-9]{9}")

# A mobile number has 11 digits and a resident ID number 17 before its check character: a text
# read with fewer holds neither (most references and texts), found without the patterns' work.
_FEWEST_DIGITS = 11
_NOT_ASCII_DIGITS = re.compile(r"[^0-9]+")

KINDS = {"resident_id": ("居民身份证号", "a resident ID number"), "mobile": ("手机号", "a mobile number")}


def as_read(text: str) -> str:
    """The text with every digit as an ASCII digit (full-width, other scripts', Chinese numerals)
    and full-width punctuation as ASCII (NFKC): what a reader would take the numbers in it for."""
    if text.isascii():
        return text
    text = _CHINESE_DIGIT.sub(lambda digit: _CHINESE_DIGITS[digit.group()], unicodedata.normalize("NFKC", text))
    return _OTHER_DIGIT.sub(lambda digit: str(unicodedata.decimal(digit.group())), text)


def is_resident_id(value: str) -> bool:
    value = _SEPARATORS.sub("", value)
    if len(value) != 18 or not value[:17].isascii() or not value[:17].isdigit():
        return False
    total = sum(int(digit) * weight for digit, weight in zip(value[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == value[17].upper()


def too_few_digits(read: str) -> bool:
    """Whether a text as read holds too few digits to hold either kind of number."""
    return len(_NOT_ASCII_DIGITS.sub("", read)) < _FEWEST_DIGITS


def found_in(text: str) -> str | None:
    """The kind of personal data the text holds anywhere, if any (an 18-digit number counts as a
    resident ID when its check character fits: contract and document numbers that long exist)."""
    read = as_read(text)
    return None if too_few_digits(read) else _in_text_read(read)


def _in_text_read(read: str) -> str | None:
    if any(is_resident_id(m.group()) for m in _RESIDENT_ID.finditer(read)):
        return "resident_id"
    if _MOBILE.search(read):
        return "mobile"
    return None


def in_reference(reference: str) -> str | None:
    """The kind of personal data a reference to a person holds, if any: a mobile or resident ID
    number as a part of it between separators (`R-13912345678-1`, `R-139-1234-5678`,
    `R-8613912345678`), or as a run of digits anywhere in a part (`R13912345678`,
    `R-13912345678a`). A pseudonym that holds such a run by chance is refused too: the
    reference cannot tell, and a new pseudonym costs its maker nothing."""
    read = as_read(reference)
    return None if too_few_digits(read) else _in_reference_read(read)


def _in_reference_read(read: str) -> str | None:
    for run in _DIGIT_RUN.finditer(read):
        if is_resident_id(run.group()):
            return "resident_id"
        if _MOBILE_NUMBER.fullmatch(run.group().rstrip("Xx")):
            return "mobile"
    parts = _REFERENCE_SEPARATORS.split(read)
    parts[0] = _LETTER_PREFIX.sub("", parts[0])
    for first in range(len(parts)):
        number = ""
        for part in parts[first:]:
            if not _NUMBER_PART.fullmatch(part):
                break
            number += part
            if is_resident_id(number):
                return "resident_id"
            if _MOBILE_NUMBER.fullmatch(number):
                return "mobile"
            if not number[-1].isdigit():  # an ID's X ends the number
                break
    return None
