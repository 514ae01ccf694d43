"""Bearer tokens: who the caller is (role, district, town), minted and checked with PyJWT."""

import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

import jwt

from kernel import clock
from service.callers import Caller, Role

ALGORITHM = "HS256"
TOKEN_HOURS = 8  # a token's life, unless set otherwise: a working day
MAX_TOKEN_HOURS = 720  # 30 days: no token lives longer, whoever minted it
ISSUER = "stations"  # who mints the service's tokens (`iss`)
AUDIENCE = "stations-api"  # what they are for (`aud`): a token of another service with the same secret is not one


class InvalidToken(Exception):
    pass


def mint(secret: str, *, sub: str, role: Role, district: str | None = None, town: str | None = None,
         hours: int = TOKEN_HOURS, issuer: str = ISSUER, audience: str = AUDIENCE) -> str:
    """A token with its own id (`jti`, which `Tokens.revoked` may list), living `hours` hours."""
    check_claims(role, district, town)
    if not 1 <= hours <= MAX_TOKEN_HOURS:
        raise ValueError(f"a token lives 1 to {MAX_TOKEN_HOURS} hours, not {hours}")
    issued = clock.now()
    claims = {"sub": sub, "role": role.value, "iat": issued, "exp": issued + timedelta(hours=hours),
              "iss": issuer, "aud": audience, "jti": uuid.uuid4().hex}
    if district:
        claims["district"] = district
    if town:
        claims["town"] = town
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


@dataclass(frozen=True)
class Claimed:
    """Whom a token says it is for, as read without checking it."""

    role: str | None
    district: str | None
    town: str | None


def claimed(token: str) -> Claimed:
    """A token's role, district and town, read without checking it: what a client (the import) may
    settle before it sends anything; the service checks the token itself."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return Claimed(None, None, None)
    return Claimed(claims.get("role"), claims.get("district"), claims.get("town"))


def token_id(token: str) -> str:
    """A token's `jti`, read without checking it (to tell an operator which id to revoke)."""
    return str(jwt.decode(token, options={"verify_signature": False}).get("jti", ""))


def check_claims(role: Role, district: str | None, town: str | None) -> None:
    if role in (Role.station, Role.town, Role.district) and not district:
        raise ValueError(f"a {role} token needs a district")
    if role in (Role.station, Role.town) and not town:
        raise ValueError(f"a {role} token needs a town")
    if town and (not district or not town.startswith(district)):
        raise ValueError("the town must lie in the token's district")


@dataclass(frozen=True)
class Tokens:
    """The service's tokens: the secret they are signed with, how long a minted one lasts, who
    issues them and for what, and the ids of those revoked before they expire."""

    secret: str
    hours: int
    issuer: str = ISSUER
    audience: str = AUDIENCE
    revoked: frozenset[str] = field(default_factory=frozenset)

    def mint(self, *, sub: str, role: Role, district: str | None = None, town: str | None = None) -> str:
        return mint(self.secret, sub=sub, role=role, district=district, town=town, hours=self.hours,
                    issuer=self.issuer, audience=self.audience)

    def decode(self, token: str) -> Caller:
        return decode(self.secret, token, issuer=self.issuer, audience=self.audience, revoked=self.revoked)


def decode(secret: str, token: str, *, issuer: str = ISSUER, audience: str = AUDIENCE,
           revoked: frozenset[str] = frozenset()) -> Caller:
    """The token's caller. A token's signature is checked once, on its first use: later uses
    check only that it has not expired or been revoked since."""
    caller, expires, jti = _verified(secret, token, issuer, audience)
    if expires <= time.time():  # as PyJWT decides it, with no leeway
        raise InvalidToken("Signature has expired")
    if jti in revoked:
        raise InvalidToken("the token is revoked")
    return caller


VERIFIED_TOKENS = 4096


@lru_cache(maxsize=VERIFIED_TOKENS)
def _verified(secret: str, token: str, issuer: str, audience: str) -> tuple[Caller, float, str]:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], issuer=issuer, audience=audience,
                            options={"require": ["sub", "role", "exp", "iat", "iss", "aud", "jti"]})
        if claims["exp"] - claims["iat"] > MAX_TOKEN_HOURS * 3600:
            raise ValueError(f"the token lives longer than {MAX_TOKEN_HOURS} hours")
        role = Role(claims["role"])
        check_claims(role, claims.get("district"), claims.get("town"))
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc)) from exc
    caller = Caller(sub=str(claims["sub"]), role=role, district=claims.get("district"), town=claims.get("town"))
    return caller, float(claims["exp"]), str(claims["jti"])
