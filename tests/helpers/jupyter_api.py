"""Calling the nepnb REST API of a pytest-jupyter server from the tests: requests, replies,
and the checkpoint calls the API tests share."""

from __future__ import annotations

import json
from typing import Any

from tornado.httpclient import HTTPResponse

API = ("nepnb", "api")


async def call(
    jp_fetch: Any,
    *parts: str,
    method: str = "GET",
    params: dict[str, str] | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> HTTPResponse:
    """A request to /nepnb/api/...; the response whatever its status (no exception)."""
    if body is not None and not isinstance(body, (str, bytes)):
        body = json.dumps(body)
    if body is None and method == "POST":
        body = "{}"
    return await jp_fetch(
        *API, *parts, method=method, params=params, body=body, headers=headers, raise_error=False
    )


def with_source(notebook: dict[str, Any], index: int, source: str) -> dict[str, Any]:
    changed = json.loads(json.dumps(notebook))
    changed["cells"][index]["source"] = source
    return changed


def reply(response: HTTPResponse) -> dict[str, Any]:
    assert response.headers["Content-Type"].startswith("application/json"), response.headers
    return json.loads(response.body)


def error_message(response: HTTPResponse, status: int) -> str:
    """The JSON ``message`` of an error reply, after checking its status."""
    assert response.code == status, (response.code, response.body)
    message = reply(response)["message"]
    assert isinstance(message, str) and message
    return message


async def upload(jp_fetch: Any, path: str, message: str = "A checkpoint", **extra: Any) -> dict:
    response = await call(
        jp_fetch, "checkpoints", method="POST", body={"path": path, "message": message, **extra}
    )
    assert response.code == 201, (response.code, response.body)
    return reply(response)


async def listing(jp_fetch: Any, path: str, **params: str) -> dict[str, Any]:
    response = await call(jp_fetch, "checkpoints", params={"path": path, **params})
    assert response.code == 200, response.body
    return reply(response)


async def content_of(jp_fetch: Any, checkpoint_id: str, **params: str) -> dict[str, Any]:
    response = await call(jp_fetch, "checkpoints", checkpoint_id, params={"content": "1", **params})
    assert response.code == 200, response.body
    return reply(response)["notebook"]
