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


def test_a_token_names_its_issuer_audience_and_id_and_lives_8_hours_by_default():
    claims = jwt.decode(auth.mint(SECRET, sub="officer", role=auth.Role.city), SECRET, algorithms=[auth.ALGORITHM],
                        audience=auth.AUDIENCE)
    assert (claims["iss"], claims["aud"], len(claims["jti"])) == ("stations", "stations-api", 32)
    assert claims["exp"] - claims["iat"] == 8 * 3600


@pytest.mark.parametrize("claims", [{"iss": "someone-else"}, {"aud": "another-service"}, {"aud": None},
                                    {"iss": None}, {"jti": None}, {"iat": None}],
                         ids=["other-issuer", "other-audience", "no-audience", "no-issuer", "no-id", "no-iat"])
def test_a_token_of_another_issuer_or_audience_or_without_them_is_refused(claims):
    now = time.time()
    base = {"sub": "x", "role": "city", "iat": now, "exp": now + 60, "iss": auth.ISSUER, "aud": auth.AUDIENCE,
            "jti": "a1"}
    token = jwt.encode({k: v for k, v in (base | claims).items() if v is not None}, SECRET, algorithm=auth.ALGORITHM)
    with pytest.raises(auth.InvalidToken):
        auth.decode(SECRET, token)


def test_a_deployment_with_its_own_audience_refuses_anothers_tokens():
    staging = auth.Tokens(SECRET, 8, audience="stations-staging")
    production = auth.Tokens(SECRET, 8, audience="stations-production")
    token = staging.mint(sub="officer", role=auth.Role.admin)
    assert staging.decode(token).role == "admin"
    with pytest.raises(auth.InvalidToken):
        production.decode(token)


@pytest.mark.parametrize("hours", [0, -1, auth.MAX_TOKEN_HOURS + 1, 10**6])
def test_no_token_is_minted_for_less_than_an_hour_or_more_than_30_days(hours):
    with pytest.raises(ValueError, match="720"):
        auth.mint(SECRET, sub="officer", role=auth.Role.city, hours=hours)


def test_a_token_that_lives_longer_than_30_days_is_refused_whoever_signed_it():
    now = time.time()
    token = jwt.encode({"sub": "x", "role": "admin", "iat": now, "exp": now + (auth.MAX_TOKEN_HOURS + 1) * 3600,
                        "iss": auth.ISSUER, "aud": auth.AUDIENCE, "jti": "b2"}, SECRET, algorithm=auth.ALGORITHM)
    with pytest.raises(auth.InvalidToken, match="720"):
        auth.decode(SECRET, token)


def test_a_revoked_token_is_refused_even_after_it_was_accepted():
    token = auth.mint(SECRET, sub="officer", role=auth.Role.admin)
    tokens = auth.Tokens(SECRET, 8)
    assert tokens.decode(token).sub == "officer"
    revoked = auth.Tokens(SECRET, 8, revoked=frozenset({auth.token_id(token)}))
    with pytest.raises(auth.InvalidToken, match="revoked"):
        revoked.decode(token)
    assert revoked.decode(auth.mint(SECRET, sub="other", role=auth.Role.admin)).sub == "other"
