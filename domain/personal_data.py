"""Personal data that must never enter an event: resident ID numbers and mobile numbers.

Events cannot be changed or removed, so what is refused here is refused before it is stored.
People are named in events only by the pseudonyms their district keeps the key to.
"""

import re

# GB 11643-1999: an 18-character resident ID number ends in an ISO 7064 MOD 11-2 check character.
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_RESIDENT_ID = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
_PREFIX = re.compile(r"^[A-Za-z]{0,8}[-_.:]?")

KINDS = {"resident_id": ("居民身份证号", "a resident ID number"), "mobile": ("手机号", "a mobile number")}


def is_resident_id(value: str) -> bool:
    if len(value) != 18 or not value[:17].isascii() or not value[:17].isdigit():
        return False
    total = sum(int(digit) * weight for digit, weight in zip(value[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == value[17].upper()


def found_in(text: str) -> str | None:
    """The kind of personal data the text holds anywhere, if any."""
    if any(is_resident_id(m.group()) for m in _RESIDENT_ID.finditer(text)):
        return "resident_id"
    if _MOBILE.search(text):
        return "mobile"
    return None


def is_identifying(reference: str) -> str | None:
    """The kind of personal data a reference is, bare or behind a short prefix ("R-139...")."""
    bare = _PREFIX.sub("", reference, count=1)
    if is_resident_id(bare):
        return "resident_id"
    if _MOBILE.fullmatch(bare):
        return "mobile"
    return None
