from __future__ import annotations

import pytest


class Api:
    """The Django test client speaking JSON to /api/v1 with one user's bearer token."""

    def __init__(self, client, token: str | None) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, body=None, **query):
        url = f"/api/v1{path}"
        if method == "get":
            return self.client.get(url, query, headers=self.headers)
        return getattr(self.client, method)(
            url,
            body if body is not None else {},
            content_type="application/json",
            headers=self.headers,
        )

    def get(self, path: str, **query):
        return self._call("get", path, **query)

    def post(self, path: str, body=None):
        return self._call("post", path, body)

    def patch(self, path: str, body=None):
        return self._call("patch", path, body)

    def delete(self, path: str):
        return self._call("delete", path)


@pytest.fixture
def api_as(client):
    """api_as(user) → an Api that calls with a fresh personal token of `user`."""
    from octopus.accounts.api_tokens import issue_token

    def make(user) -> Api:
        _, clear = issue_token(user, "tests")
        return Api(client, clear)

    return make


@pytest.fixture
def anonymous(client) -> Api:
    return Api(client, None)
