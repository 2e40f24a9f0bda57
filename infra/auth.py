"""JWT bearer auth (HS256, Supabase-style claims)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from jwt.types import Options

from domain.text import forbidden_character, is_blank, is_format_character

ALGORITHMS = ["HS256"]
NUMERIC_DATES = ("exp", "nbf", "iat")
# 9999-12-31T23:59:59Z: a later date is no date (and `10**400` is not even a float).
LATEST_NUMERIC_DATE = 253_402_300_799
MAX_SUBJECT_LENGTH = 255
LEEWAY_SECONDS = 5
# Tokens verified lately, by their text: a client sends the same token with every
# request, and verifying it again (base64, HMAC, JSON, claims) was ~3% of a request.
# Only tokens that verified are kept, so a stranger cannot fill it with junk.
VERIFIED_TOKENS = 1024


@dataclass(frozen=True)
class Viewer:
    user_id: str
    is_admin: bool
    expires_at: float | None
    email: str | None = None

    def is_expired(self) -> bool:
        """A websocket authenticates once, at connection_init, and may outlive its token."""
        return self.expires_at is not None and time.time() >= self.expires_at


class AuthError(Exception):
    pass


class TokenAuthenticator:
    def __init__(
        self,
        secret: str,
        *,
        audience: str | None = None,
        issuer: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._secret = secret
        self._audience = audience
        self._issuer = issuer
        self._clock = clock
        # token -> (viewer, the claims' latest of nbf and iat, exp)
        self._verified: OrderedDict[str, tuple[Viewer, int | None, int]] = OrderedDict()

    def viewer_from_header(self, authorization: str | None) -> Viewer:
        if not authorization:
            raise AuthError("missing Authorization header")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("Authorization must be 'Bearer <token>'")
        return self.viewer_from_token(token.strip())

    def viewer_from_token(self, token: str) -> Viewer:
        """The token's viewer; a token verified before is only checked against the clock
        again, with PyJWT's comparisons and leeway."""
        found = self._verified.get(token)
        if found is not None:
            viewer, not_before, expires = found
            now = self._clock()
            if expires <= now - LEEWAY_SECONDS:
                del self._verified[token]
                raise AuthError("invalid token: Signature has expired")
            if not_before is None or not_before <= now + LEEWAY_SECONDS:
                self._verified.move_to_end(token)
                return viewer
            del self._verified[token]  # the clock went back: verify it whole
        viewer, claims = self._verify(token)
        dates = [int(claims[name]) for name in ("nbf", "iat") if name in claims]
        self._verified[token] = (viewer, max(dates) if dates else None, int(claims["exp"]))
        if len(self._verified) > VERIFIED_TOKENS:
            self._verified.popitem(last=False)
        return viewer

    def _verify(self, token: str) -> tuple[Viewer, dict[str, Any]]:
        options: Options = {"require": ["sub", "exp"], "verify_aud": bool(self._audience)}
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=ALGORITHMS,
                audience=self._audience,
                issuer=self._issuer,
                options=options,
                leeway=LEEWAY_SECONDS,
            )
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {exc}") from exc
        subject = _subject_of(claims)
        app_metadata = claims.get("app_metadata") or {}
        role = app_metadata.get("role") if isinstance(app_metadata, dict) else None
        viewer = Viewer(
            user_id=subject,
            is_admin=role == "admin",
            expires_at=float(claims["exp"]),
            email=claims.get("email") if isinstance(claims.get("email"), str) else None,
        )
        return viewer, claims

    def mint(
        self,
        user_id: str,
        *,
        admin: bool = False,
        ttl_seconds: int = 24 * 3600,
        email: str | None = None,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": user_id,
            "iat": now,
            "nbf": now,
            "exp": now + ttl_seconds,
            "role": "authenticated",
            "app_metadata": {"role": "admin"} if admin else {},
        }
        if email:
            claims["email"] = email
        if self._audience:
            claims["aud"] = self._audience
        if self._issuer:
            claims["iss"] = self._issuer
        return jwt.encode(claims, self._secret, algorithm="HS256")


def _subject_of(claims: dict[str, Any]) -> str:
    """The `sub` of verified claims, once the shapes PyJWT lets through are refused."""
    for name in NUMERIC_DATES:
        if name in claims and not _is_numeric_date(claims[name]):
            raise AuthError(f"invalid token: {name} must be a number of seconds before 10000")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not _is_subject(subject):
        raise AuthError("invalid token: sub must be a non-empty string")
    return subject


def _is_numeric_date(value: object) -> bool:
    # PyJWT reads a date given as a string ("exp": "1700000000"); RFC 7519 wants a number.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return -LATEST_NUMERIC_DATE <= value <= LATEST_NUMERIC_DATE  # NaN fails both


def _is_subject(subject: str) -> bool:
    """Names one user visibly: not blank, no controls, no zero-width look-alikes."""
    if len(subject) > MAX_SUBJECT_LENGTH or is_blank(subject):
        return False
    if forbidden_character(subject) is not None:
        return False
    return not any(is_format_character(char) for char in subject)
