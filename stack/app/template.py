"""The app's "template" flavor: the routes of a typical public FastAPI project (as the full-stack FastAPI
template lays them out) instead of the reference ones, so the gate is tried on an app it was not built for:

- OAuth2 password flow at /api/v1/login/access-token (form-encoded, the user name is an e-mail address,
  an access token and no refresh token), the identity at /api/v1/users/me answering {"email": ...};
- a bare `true` at /api/v1/utils/health-check/, no readiness report, no /health, no /metrics;
- the OpenAPI document at /api/v1/openapi.json; items are read-only here (GET /api/v1/items and one item).
"""

from __future__ import annotations

from typing import Annotated

import jwt
from fastapi import APIRouter, Depends, HTTPException, status
from fastapi.security import OAuth2PasswordBearer, OAuth2PasswordRequestForm
from pydantic import BaseModel

from stack.app import items
from stack.app.auth import AccessToken, authenticate
from stack.app.deps import PoolDep, SettingsDep
from stack.app.security import issue_token, token_subject

API = "/api/v1"
OPENAPI_URL = f"{API}/openapi.json"
router = APIRouter(prefix=API)
bearer = OAuth2PasswordBearer(tokenUrl=f"{API}/login/access-token")
router.add_api_route("/items", items.list_items, methods=["GET"], response_model=items.ItemList, tags=["items"])
router.add_api_route("/items/{item_id}", items.get_item, methods=["GET"], responses=items.NOT_FOUND, tags=["items"])


class UserPublic(BaseModel):
    email: str
    is_active: bool = True


@router.post("/login/access-token", tags=["login"])
def access_token(form: Annotated[OAuth2PasswordRequestForm, Depends()], pool: PoolDep,
                 settings: SettingsDep) -> AccessToken:
    authenticate(pool, form.username, form.password)
    return AccessToken(access_token=issue_token(settings.jwt_secret, form.username, "access"))


@router.get("/users/me", tags=["users"])
def read_user_me(token: Annotated[str, Depends(bearer)], settings: SettingsDep) -> UserPublic:
    try:
        return UserPublic(email=token_subject(settings.jwt_secret, token, "access"))
    except jwt.InvalidTokenError:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "could not validate credentials") from None


@router.get("/utils/health-check/", tags=["utils"])
async def health_check() -> bool:
    return True
