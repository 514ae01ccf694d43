"""Bearer tokens: a token's signature is checked once, its expiry every time."""

import time

import jwt
import pytest

from api import auth

SECRET = "s" * 32


def test_a_token_seen_before_is_refused_once_it_has_expired(monkeypatch):
    token = auth.mint(SECRET, sub="officer", role=auth.Role.district, district="350203", hours=1)
    assert auth.decode(SECRET, token) == auth.Caller("officer", auth.Role.district, "350203")

    later = time.time() + 3601
    monkeypatch.setattr(time, "time", lambda: later)
    with pytest.raises(auth.InvalidToken, match="expired"):
        auth.decode(SECRET, token)


def test_a_token_is_checked_against_the_secret_it_is_decoded_with():
    token = auth.mint(SECRET, sub="officer", role=auth.Role.city)
    auth.decode(SECRET, token)
    with pytest.raises(auth.InvalidToken):
        auth.decode("t" * 32, token)


def test_a_forged_token_is_refused_every_time():
    forged = jwt.encode({"sub": "x", "role": "city", "exp": time.time() + 60}, "u" * 32, algorithm=auth.ALGORITHM)
    for _ in range(2):
        with pytest.raises(auth.InvalidToken):
            auth.decode(SECRET, forged)
