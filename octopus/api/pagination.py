"""One page shape for every list: {items, count, next}, with ?limit= and ?offset=.

`next` is the URL of the following page (null on the last one), so a client follows it
without knowing how pages are cut. A handler takes `page: Query[PageIn]`, declares
`response=Page[ItemOut]` and returns `paged(request, queryset, page)`.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema

MAX_LIMIT = 500
Item = TypeVar("Item")


class PageIn(Schema):
    limit: int = Field(50, ge=1, le=MAX_LIMIT, description="Items per page.")
    offset: int = Field(0, ge=0, le=2**31 - 1, description="Items to skip.")


class Page(Schema, Generic[Item]):
    items: list[Item]
    count: int = Field(description="Items in all pages.")
    next: str | None = Field(description="URL of the next page; null on the last.")


def paged(request: HttpRequest, queryset: QuerySet, page: PageIn) -> dict[str, Any]:
    count = queryset.count()
    end = page.offset + page.limit
    following = None
    if end < count:
        query = request.GET.copy()
        query["offset"] = str(end)
        query["limit"] = str(page.limit)
        following = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
    return {"items": list(queryset[page.offset : end]), "count": count, "next": following}
