"""A token verified once is not verified again, yet still expires on time."""

from __future__ import annotations

import time

import pytest

from infra.auth import VERIFIED_TOKENS, AuthError, TokenAuthenticator

SECRET = "unit-test-secret-0123456789-0123456789"


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def test_a_remembered_token_expires_with_the_same_leeway_as_pyjwt() -> None:
    clock = Clock()
    auth = TokenAuthenticator(SECRET, clock=clock)
    token = auth.mint("user-1", ttl_seconds=60)
    assert auth.viewer_from_token(token).user_id == "user-1"
    clock.now += 60 + 4  # inside PyJWT's 5 s leeway
    assert auth.viewer_from_token(token).user_id == "user-1"
    clock.now += 1
    with pytest.raises(AuthError, match="Signature has expired"):
        auth.viewer_from_token(token)


def test_only_tokens_that_verified_are_remembered_and_at_most_so_many() -> None:
    auth = TokenAuthenticator(SECRET)
    other = TokenAuthenticator("another-secret-0123456789-0123456789")
    forged = other.mint("user-1")
    for _ in range(2):
        with pytest.raises(AuthError):
            auth.viewer_from_token(forged)
    tokens = [auth.mint(f"user-{n}") for n in range(VERIFIED_TOKENS + 5)]
    for token in tokens:
        auth.viewer_from_token(token)
    assert len(auth._verified) == VERIFIED_TOKENS
    assert forged not in auth._verified
    assert auth.viewer_from_token(tokens[0]).user_id == "user-0"  # verified again
