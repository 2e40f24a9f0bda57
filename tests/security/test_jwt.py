"""Issue 3, point 11 (tokens): only an HS256 token signed with our key, in date, with a
string `sub` (and our audience and issuer when configured) names a viewer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from infra.auth import AuthError, TokenAuthenticator
from tests.integration.harness import JWT_SECRET, ApiHarness
from tests.security.helpers import new_user

SECRET = "jwt-unit-test-secret-0123456789-0123456789"
AUDIENCE = "mission-planner"
INVISIBLE = list(" \t\u00a0\u200b\u200c\u200d\u2060\ufeff\u3164\u115f\u2800\u00ad\U000e0020")
ISSUER = "https://auth.example.com/auth/v1"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(
    claims: dict[str, Any],
    *,
    alg: str = "HS256",
    key: str | None = SECRET,
    digest: Any = hashlib.sha256,
    **header: Any,
) -> str:
    """A JWT built by hand, so that any header and any signature can be sent."""
    head = b64url(json.dumps({"alg": alg, "typ": "JWT", **header}).encode())
    body = b64url(json.dumps(claims).encode())
    signing_input = f"{head}.{body}"
    signature = (
        b"" if key is None else hmac.new(key.encode(), signing_input.encode(), digest).digest()
    )
    return f"{signing_input}.{b64url(signature)}"


def claims(**overrides: Any) -> dict[str, Any]:
    """Valid claims; an override of None removes the claim."""
    now = int(time.time())
    base: dict[str, Any] = {"sub": "user-1", "iat": now, "nbf": now, "exp": now + 600}
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def refused_tokens() -> dict[str, str]:
    """Made when a test runs: `nbf` a minute ahead must still be ahead then."""
    now = int(time.time())
    return {
        "alg none, no signature": forge(claims(), alg="none", key=None),
        "alg None": forge(claims(), alg="None", key=None),
        "alg NONE with a signature": forge(claims(), alg="NONE"),
        "wrong key": forge(claims(), key="not-our-secret-0123456789-0123456789"),
        "expired a minute ago": forge(claims(exp=now - 60)),
        "not valid for another minute": forge(claims(nbf=now + 60)),
        "issued in the future": forge(claims(iat=now + 3600)),
        "no exp": forge(claims(exp=None)),
        "exp a string": forge(claims(exp=str(now + 600))),
        "no sub": forge(claims(sub=None)),
        "sub a number": forge(claims(sub=12345)),
        "sub empty": forge(claims(sub="")),
        "sub a list": forge(claims(sub=["user-1"])),
        "sub an object": forge(claims(sub={"id": "user-1"})),
        "sub over 255 characters": forge(claims(sub="u" * 256)),
        "HS512 with our key": forge(claims(), alg="HS512", digest=hashlib.sha512),
        "HS384 with our key": forge(claims(), alg="HS384", digest=hashlib.sha384),
        # Key confusion: an asymmetric alg in the header over an HMAC made with our secret.
        "RS256 header, HMAC signature": forge(claims(), alg="RS256"),
        "ES256 header, HMAC signature": forge(claims(), alg="ES256"),
        "RS256 header, embedded jwk": forge(claims(), alg="RS256", jwk={"kty": "oct", "k": "AA"}),
        "not a JWT": "not-a-jwt",
        "three empty parts": "..",
        "payload not an object": forge(["user-1"]),  # type: ignore[arg-type]
        # Issue 6, points 5 and 9: dates no float holds, and subjects that name nobody.
        "exp 10**400": forge(claims(exp=10**400)),
        "exp Infinity": forge(claims(exp=float("inf"))),
        "exp NaN": forge(claims(exp=float("nan"))),
        "exp after year 9999": forge(claims(exp=253_402_300_800)),
        "iat 10**400": forge(claims(iat=10**400)),
        "nbf -10**400": forge(claims(nbf=-(10**400))),
        "sub of spaces": forge(claims(sub="   ")),
        "sub of zero-width spaces": forge(claims(sub="\u200b\u200b")),
        "sub a BOM": forge(claims(sub="\ufeff")),
        "sub a Hangul filler": forge(claims(sub="\u3164")),
        "sub of tag characters": forge(claims(sub="\U000e0041\U000e0042")),
        "sub with a NUL": forge(claims(sub="user-1\x00")),
        "sub with a newline": forge(claims(sub="user-1\nadmin")),
        "sub with a zero-width joiner": forge(claims(sub="user\u200d-1")),
        "sub with a bidi override": forge(claims(sub="\u202euser-1")),
    }


@given(st.text(alphabet=st.sampled_from(INVISIBLE), min_size=1, max_size=20))
def test_a_subject_made_of_invisible_characters_is_refused(subject: str) -> None:
    with pytest.raises(AuthError):
        TokenAuthenticator(SECRET).viewer_from_token(forge(claims(sub=subject)))


def tampered() -> str:
    head, _body, signature = forge(claims(sub="victim")).split(".")
    return ".".join([head, b64url(json.dumps(claims(sub="attacker")).encode()), signature])


def test_a_genuine_token_names_its_viewer() -> None:
    viewer = TokenAuthenticator(SECRET).viewer_from_token(forge(claims()))
    assert viewer.user_id == "user-1" and not viewer.is_admin
    minted = TokenAuthenticator(SECRET).mint("user-2", admin=True)
    assert TokenAuthenticator(SECRET).viewer_from_header(f"bearer {minted}").is_admin


@pytest.mark.parametrize("name", sorted(refused_tokens()))
def test_forged_or_unfit_tokens_are_refused(name: str) -> None:
    with pytest.raises(AuthError):
        TokenAuthenticator(SECRET).viewer_from_token(refused_tokens()[name])


def test_a_tampered_payload_is_refused() -> None:
    with pytest.raises(AuthError):
        TokenAuthenticator(SECRET).viewer_from_token(tampered())


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "Bearer a b"]
)
def test_malformed_authorization_headers_are_refused(header: str) -> None:
    with pytest.raises(AuthError):
        TokenAuthenticator(SECRET).viewer_from_header(header)


AUDIENCE_AND_ISSUER: dict[str, dict[str, Any]] = {
    "no aud": claims(iss=ISSUER),
    "wrong aud": claims(aud="another-api", iss=ISSUER),
    "aud list without ours": claims(aud=["another-api", "third"], iss=ISSUER),
    "no iss": claims(aud=AUDIENCE),
    "wrong iss": claims(aud=AUDIENCE, iss="https://evil.example.com/auth/v1"),
    "iss a prefix of ours": claims(aud=AUDIENCE, iss=ISSUER + "/extra"),
}


@pytest.mark.parametrize("name", sorted(AUDIENCE_AND_ISSUER))
def test_audience_and_issuer_are_enforced_when_configured(name: str) -> None:
    auth = TokenAuthenticator(SECRET, audience=AUDIENCE, issuer=ISSUER)
    assert auth.viewer_from_token(forge(claims(aud=AUDIENCE, iss=ISSUER))).user_id == "user-1"
    with pytest.raises(AuthError):
        auth.viewer_from_token(forge(AUDIENCE_AND_ISSUER[name]))


def test_admin_comes_only_from_app_metadata() -> None:
    """Supabase lets users edit user_metadata; `role` at the top is the Postgres role."""
    auth = TokenAuthenticator(SECRET)
    assert auth.viewer_from_token(forge(claims(app_metadata={"role": "admin"}))).is_admin
    for not_admin in (
        claims(user_metadata={"role": "admin"}),
        claims(role="admin"),
        claims(app_metadata={"role": ["admin"]}),
        claims(app_metadata="admin"),
    ):
        assert not auth.viewer_from_token(forge(not_admin)).is_admin


async def test_over_http_every_refused_token_is_anonymous(api: ApiHarness) -> None:
    """The same forgeries, signed with the server's own key where they are signed at all."""
    user = new_user()
    now = int(time.time())
    tokens = {
        "alg none": forge(claims(sub=user), alg="none", key=None),
        "wrong key": forge(claims(sub=user)),
        "expired": forge(claims(sub=user, exp=now - 60), key=JWT_SECRET),
        "not yet valid": forge(claims(sub=user, nbf=now + 60), key=JWT_SECRET),
        "no sub": forge(claims(sub=None), key=JWT_SECRET),
        "sub a number": forge(claims(sub=7), key=JWT_SECRET),
        "HS512": forge(claims(sub=user), alg="HS512", key=JWT_SECRET, digest=hashlib.sha512),
        "RS256 header": forge(claims(sub=user), alg="RS256", key=JWT_SECRET),
    }
    genuine = forge(claims(sub=user), key=JWT_SECRET)
    query = {"query": "{ viewer { id } }"}
    ok = await api.client.post(
        "/graphql", json=query, headers={"Authorization": f"Bearer {genuine}"}
    )
    assert ok.json()["data"]["viewer"]["id"] == user
    for name, token in tokens.items():
        response = await api.client.post(
            "/graphql", json=query, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200, name
        assert response.json()["errors"][0]["message"].startswith("Authentication required"), name


async def test_absurd_dates_and_blank_subjects_answer_an_auth_error_not_a_crash(
    api: ApiHarness, caplog: pytest.LogCaptureFixture
) -> None:
    query = {"query": "{ viewer { id } }"}
    for token in (
        forge(claims(exp=10**400), key=JWT_SECRET),
        forge(claims(iat=10**400), key=JWT_SECRET),
        forge(claims(sub="\u200b \u3164"), key=JWT_SECRET),
    ):
        response = await api.client.post(
            "/graphql", json=query, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200
        assert response.json()["errors"][0]["message"].startswith("Authentication required")
    assert not [r for r in caplog.records if r.exc_info], "no traceback for a bad token"
