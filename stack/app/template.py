"""The app's "template" flavor: the routes of a typical public FastAPI project (as the full-stack FastAPI
template lays them out) instead of the reference ones, so the gate is tried on an app it was not built for:

- OAuth2 password flow at /api/v1/login/access-token (form-encoded, the user name is an e-mail address,
  an access token and no refresh token), the identity at /api/v1/users/me answering {"email": ...};
- a bare `true` at /api/v1/utils/health-check/, no readiness report, no /health, no /metrics;
- the OpenAPI document at /api/v1/openapi.json; items are read-only (GET /api/v1/items and one item), or, with
  OPSGATE_APP_ITEMS_COLLECTION=full, the template's whole collection: GET/POST /api/v1/items/ (trailing slash;
  FastAPI's own 307 redirect answers /api/v1/items) and GET/PUT/DELETE /api/v1/items/{id}, writes signed in.
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
from stack.app.settings import Settings

API = "/api/v1"
OPENAPI_URL = f"{API}/openapi.json"
common = APIRouter(prefix=API)
bearer = OAuth2PasswordBearer(tokenUrl=f"{API}/login/access-token")


class UserPublic(BaseModel):
    email: str
    is_active: bool = True


@common.post("/login/access-token", tags=["login"])
def access_token(form: Annotated[OAuth2PasswordRequestForm, Depends()], pool: PoolDep,
                 settings: SettingsDep) -> AccessToken:
    authenticate(pool, form.username, form.password)
    return AccessToken(access_token=issue_token(settings.jwt_secret, form.username, "access"))


def signed_in_email(token: Annotated[str, Depends(bearer)], settings: SettingsDep) -> str:
    try:
        return token_subject(settings.jwt_secret, token, "access")
    except jwt.InvalidTokenError:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "could not validate credentials") from None


@common.get("/users/me", tags=["users"])
def read_user_me(email: Annotated[str, Depends(signed_in_email)]) -> UserPublic:
    return UserPublic(email=email)


@common.get("/utils/health-check/", tags=["utils"])
async def health_check() -> bool:
    return True


def router(settings: Settings) -> APIRouter:
    """The template's routes with its items read-only or whole, as the settings say."""
    routes = APIRouter()
    routes.include_router(common)
    collection = f"{API}/items/" if settings.items_collection == "full" else f"{API}/items"
    routes.add_api_route(collection, items.list_items, methods=["GET"], response_model=items.ItemList,
                         tags=["items"])
    routes.add_api_route(f"{API}/items/{{item_id}}", items.get_item, methods=["GET"], responses=items.NOT_FOUND,
                         tags=["items"])
    if settings.items_collection == "full":
        signed_in = [Depends(signed_in_email)]
        routes.add_api_route(collection, items.create_item, methods=["POST"], status_code=status.HTTP_201_CREATED,
                             dependencies=signed_in, tags=["items"])
        routes.add_api_route(f"{API}/items/{{item_id}}", items.update_item, methods=["PUT"],
                             responses=items.NOT_FOUND, dependencies=signed_in, tags=["items"])
        routes.add_api_route(f"{API}/items/{{item_id}}", items.delete_item, methods=["DELETE"],
                             status_code=status.HTTP_204_NO_CONTENT, responses=items.NOT_FOUND,
                             dependencies=signed_in, tags=["items"])
    return routes
