"""Password hashing (stdlib PBKDF2) and HS256 JWTs."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Literal

import jwt

TokenType = Literal["access", "refresh"]

ITERATIONS = 200_000
ACCESS_TTL = timedelta(minutes=15)
REFRESH_TTL = timedelta(days=1)
_TTL: dict[TokenType, timedelta] = {"access": ACCESS_TTL, "refresh": REFRESH_TTL}


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS)
    return f"pbkdf2_sha256${ITERATIONS}${salt.hex()}${digest.hex()}"


def verify_password(password: str, encoded: str) -> bool:
    algorithm, iterations, salt, expected = encoded.split("$")
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt), int(iterations))
    return algorithm == "pbkdf2_sha256" and hmac.compare_digest(digest.hex(), expected)


# Checked when the username is unknown, so that case takes as long as a wrong password.
DUMMY_HASH = hash_password(secrets.token_urlsafe())


def issue_token(secret: str, username: str, kind: TokenType) -> str:
    now = datetime.now(UTC)
    claims = {"sub": username, "type": kind, "iat": now, "exp": now + _TTL[kind]}
    return jwt.encode(claims, secret, algorithm="HS256")


def token_subject(secret: str, token: str, kind: TokenType) -> str:
    """Return the username of a valid token of the given kind; raise jwt.InvalidTokenError otherwise."""
    claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "sub", "type"]})
    if claims["type"] != kind:
        # Stops a long-lived refresh token from being used as an access token and vice versa.
        raise jwt.InvalidTokenError(f"expected a {kind} token")
    return str(claims["sub"])
