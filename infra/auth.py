"""JWT bearer auth (HS256, Supabase-style claims)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import jwt
from jwt.types import Options

ALGORITHMS = ["HS256"]
NUMERIC_DATES = ("exp", "nbf", "iat")


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
        self, secret: str, *, audience: str | None = None, issuer: str | None = None
    ) -> None:
        self._secret = secret
        self._audience = audience
        self._issuer = issuer

    def viewer_from_header(self, authorization: str | None) -> Viewer:
        if not authorization:
            raise AuthError("missing Authorization header")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("Authorization must be 'Bearer <token>'")
        return self.viewer_from_token(token.strip())

    def viewer_from_token(self, token: str) -> Viewer:
        options: Options = {"require": ["sub", "exp"], "verify_aud": bool(self._audience)}
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=ALGORITHMS,
                audience=self._audience,
                issuer=self._issuer,
                options=options,
                leeway=5,
            )
        except jwt.PyJWTError as exc:
            raise AuthError(f"invalid token: {exc}") from exc
        subject = _subject_of(claims)
        app_metadata = claims.get("app_metadata") or {}
        role = app_metadata.get("role") if isinstance(app_metadata, dict) else None
        return Viewer(
            user_id=subject,
            is_admin=role == "admin",
            expires_at=float(claims["exp"]),
            email=claims.get("email") if isinstance(claims.get("email"), str) else None,
        )

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
    # PyJWT reads a date given as a string ("exp": "1700000000"); RFC 7519 wants a number.
    for name in NUMERIC_DATES:
        value = claims.get(name)
        if name in claims and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise AuthError(f"invalid token: {name} must be a number of seconds")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject or len(subject) > 255:
        raise AuthError("invalid token: sub must be a non-empty string")
    return subject
