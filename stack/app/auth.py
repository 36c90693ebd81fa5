"""Login (a JSON body, or the OAuth2 password flow's form at /token), token refresh and the bearer-token dependency."""

from __future__ import annotations

from typing import Annotated

import jwt
from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from pydantic import BaseModel

from stack.app.deps import PoolDep, SettingsDep
from stack.app.security import ACCESS_TTL, DUMMY_HASH, issue_token, token_subject, verify_password

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])
# Declares the OAuth2 password flow in the OpenAPI document (securitySchemes), as FastAPI apps commonly do.
bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


class Credentials(BaseModel):
    username: str
    password: str


class RefreshRequest(BaseModel):
    refresh_token: str


class AccessToken(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int = int(ACCESS_TTL.total_seconds())


class TokenPair(AccessToken):
    refresh_token: str


class Me(BaseModel):
    username: str


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


def current_user(
    settings: SettingsDep,
    token: Annotated[str | None, Depends(bearer)],
) -> str:
    if token is None:
        raise _unauthorized("not authenticated")
    try:
        return token_subject(settings.jwt_secret, token, "access")
    except jwt.InvalidTokenError:
        raise _unauthorized("invalid token") from None


CurrentUser = Annotated[str, Depends(current_user)]


def authenticate(pool: PoolDep, username: str, password: str) -> None:
    with pool.connection() as conn:
        row = conn.execute("SELECT password_hash FROM users WHERE username = %s", (username,)).fetchone()
    if not verify_password(password, row[0] if row else DUMMY_HASH) or row is None:
        raise _unauthorized("invalid credentials")


@router.post("/login")
def login(body: Credentials, pool: PoolDep, settings: SettingsDep) -> TokenPair:
    authenticate(pool, body.username, body.password)
    return TokenPair(
        access_token=issue_token(settings.jwt_secret, body.username, "access"),
        refresh_token=issue_token(settings.jwt_secret, body.username, "refresh"),
    )


@router.post("/token")
def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], pool: PoolDep, settings: SettingsDep) -> AccessToken:
    """The OAuth2 password flow: form-encoded username and password, an access token and no refresh token."""
    authenticate(pool, form.username, form.password)
    return AccessToken(access_token=issue_token(settings.jwt_secret, form.username, "access"))


@router.post("/refresh")
def refresh(body: RefreshRequest, settings: SettingsDep) -> AccessToken:
    try:
        username = token_subject(settings.jwt_secret, body.refresh_token, "refresh")
    except jwt.InvalidTokenError:
        raise _unauthorized("invalid refresh token") from None
    return AccessToken(access_token=issue_token(settings.jwt_secret, username, "access"))


@router.get("/me")
def me(username: CurrentUser) -> Me:
    return Me(username=username)
