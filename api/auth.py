"""Bearer tokens: who the caller is (role, district, town), minted and checked with PyJWT."""

import time
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

import jwt

from kernel import clock
from service.callers import Caller, Role

ALGORITHM = "HS256"
TOKEN_HOURS = 12  # a token's life, unless set otherwise


class InvalidToken(Exception):
    pass


def mint(secret: str, *, sub: str, role: Role, district: str | None = None, town: str | None = None,
         hours: int = TOKEN_HOURS) -> str:
    check_claims(role, district, town)
    issued = clock.now()
    claims = {"sub": sub, "role": role.value, "iat": issued, "exp": issued + timedelta(hours=hours)}
    if district:
        claims["district"] = district
    if town:
        claims["town"] = town
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def check_claims(role: Role, district: str | None, town: str | None) -> None:
    if role in (Role.station, Role.district) and not district:
        raise ValueError(f"a {role} token needs a district")
    if role is Role.station and not town:
        raise ValueError("a station token needs a town")
    if town and (not district or not town.startswith(district)):
        raise ValueError("the town must lie in the token's district")


@dataclass(frozen=True)
class Tokens:
    """The service's tokens: the secret they are signed with, and how long a minted one lasts."""

    secret: str
    hours: int

    def mint(self, *, sub: str, role: Role, district: str | None = None, town: str | None = None) -> str:
        return mint(self.secret, sub=sub, role=role, district=district, town=town, hours=self.hours)

    def decode(self, token: str) -> Caller:
        return decode(self.secret, token)


def decode(secret: str, token: str) -> Caller:
    """The token's caller. A token's signature is checked once, on its first use: later uses
    check only that it has not expired since."""
    caller, expires = _verified(secret, token)
    if expires <= time.time():  # as PyJWT decides it, with no leeway
        raise InvalidToken("Signature has expired")
    return caller


VERIFIED_TOKENS = 4096


@lru_cache(maxsize=VERIFIED_TOKENS)
def _verified(secret: str, token: str) -> tuple[Caller, float]:
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "role", "exp"]})
        role = Role(claims["role"])
        check_claims(role, claims.get("district"), claims.get("town"))
    except (jwt.PyJWTError, ValueError) as exc:
        raise InvalidToken(str(exc)) from exc
    caller = Caller(sub=str(claims["sub"]), role=role, district=claims.get("district"), town=claims.get("town"))
    return caller, float(claims["exp"])
