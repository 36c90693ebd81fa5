"""Items CRUD. The list is cached in Redis and invalidated after every committed write."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, LiteralString

from fastapi import APIRouter, Depends, HTTPException, Path, Response, status
from psycopg.rows import class_row
from psycopg_pool import ConnectionPool
from pydantic import BaseModel, Field

from stack.app.auth import current_user
from stack.app.deps import CacheDep, PoolDep

router = APIRouter(prefix="/api/v1/items", tags=["items"])
# Writes need a signed-in user: the dependency is given where the routes are added (the template flavor adds the
# same handlers behind its own bearer scheme).
SIGNED_IN = [Depends(current_user)]

# The Item model's columns, appended to INSERT and UPDATE so writes return the stored row.
RETURNING_ITEM = " RETURNING id, name, description, created_at"

ItemId = Annotated[int, Path(ge=1, le=2**63 - 1)]  # the bigint range, so bad ids are 422 rather than 500


class ItemIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=2000)


class Item(BaseModel):
    id: int
    name: str
    description: str | None
    created_at: datetime


class ErrorDetail(BaseModel):
    detail: str


NOT_FOUND = {404: {"model": ErrorDetail, "description": "no item with this id"}}


class ItemList(BaseModel):
    items: list[Item]
    count: int


def _not_found() -> HTTPException:
    return HTTPException(status.HTTP_404_NOT_FOUND, "item not found")


def _fetch_item(pool: ConnectionPool, query: LiteralString, params: tuple[object, ...]) -> Item | None:
    """Run a statement yielding at most one item row, committing on success."""
    with pool.connection() as conn:
        return conn.cursor(row_factory=class_row(Item)).execute(query, params).fetchone()


@router.get("", response_model=ItemList)
def list_items(pool: PoolDep, cache: CacheDep) -> Response:
    body = cache.get()
    if body is None:
        # Database errors propagate (500): an empty list would hide a broken database.
        with pool.connection() as conn:
            items = (
                conn.cursor(row_factory=class_row(Item))
                .execute("SELECT id, name, description, created_at FROM items ORDER BY id")
                .fetchall()
            )
        body = ItemList(items=items, count=len(items)).model_dump_json()
        cache.set(body)
    return Response(body, media_type="application/json")


@router.get("/{item_id}", responses=NOT_FOUND)
def get_item(item_id: ItemId, pool: PoolDep) -> Item:
    item = _fetch_item(pool, "SELECT id, name, description, created_at FROM items WHERE id = %s", (item_id,))
    if item is None:
        raise _not_found()
    return item


@router.post("", status_code=status.HTTP_201_CREATED, dependencies=SIGNED_IN)
def create_item(body: ItemIn, pool: PoolDep, cache: CacheDep) -> Item:
    item = _fetch_item(
        pool,
        "INSERT INTO items (name, description) VALUES (%s, %s)" + RETURNING_ITEM,
        (body.name, body.description),
    )
    cache.invalidate()
    assert item is not None  # INSERT ... RETURNING always yields the new row
    return item


@router.put("/{item_id}", dependencies=SIGNED_IN)
def update_item(item_id: ItemId, body: ItemIn, pool: PoolDep, cache: CacheDep) -> Item:
    item = _fetch_item(
        pool,
        "UPDATE items SET name = %s, description = %s WHERE id = %s" + RETURNING_ITEM,
        (body.name, body.description, item_id),
    )
    if item is None:
        raise _not_found()
    cache.invalidate()
    return item


@router.delete("/{item_id}", status_code=status.HTTP_204_NO_CONTENT, dependencies=SIGNED_IN)
def delete_item(item_id: ItemId, pool: PoolDep, cache: CacheDep) -> None:
    with pool.connection() as conn:
        deleted = conn.execute("DELETE FROM items WHERE id = %s", (item_id,)).rowcount
    if not deleted:
        raise _not_found()
    cache.invalidate()
