"""Calling the nepnb REST API of a pytest-jupyter server from the tests."""

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
