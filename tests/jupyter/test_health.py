"""The server extension loads, answers its health check, and nothing answers without auth."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

import nepnb
from nepnb.jupyter.routes import ROUTES


def _concrete_url(pattern: str) -> str:
    """A URL that `pattern` matches: each regex group replaced by a plausible segment."""
    return re.sub(r"\(\?P<\w+>[^)]*\)|\([^)]*\)", "abcd1234", pattern).lstrip("/")


async def test_health_reports_version_and_store(jp_fetch, nepnb_home: Path) -> None:
    response = await jp_fetch("nepnb", "api", "health")
    assert response.code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = json.loads(response.body)
    assert body == {
        "version": nepnb.__version__,
        "store": "local",
        "location": str(nepnb_home),
        "project": "local/default",
    }


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize(("pattern", "handler"), ROUTES, ids=[p for p, _ in ROUTES])
async def test_no_handler_answers_without_authentication(
    jp_fetch, pattern: str, handler: type, method: str
) -> None:
    assert handler.__dict__.keys() & {"get", "post"}, "every route serves GET or POST"
    body = "{}" if method in {"POST", "PUT", "PATCH"} else None
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch(
            _concrete_url(pattern),
            method=method,
            body=body,
            headers={"Authorization": "token not-the-right-one"},
            allow_nonstandard_methods=True,
        )
    # 403 for every verb the handler serves; tornado may answer 405 for a verb it does not
    # serve before authentication, which reveals nothing.
    served = method.lower() in handler.__dict__
    assert caught.value.code in ({403} if served else {403, 405})
    assert b"checkpoint" not in (caught.value.response.body or b"")


async def test_handlers_use_the_nepnb_authorization_resource(
    jp_fetch, jp_serverapp, jp_server_authorizer
) -> None:
    # The test authorizer asserts that each request names the resource its URL maps to.
    jp_server_authorizer._default_regex_mapping = {pattern: "nepnb" for pattern, _ in ROUTES}
    jp_serverapp.web_app.settings["authorizer"] = jp_server_authorizer(parent=jp_serverapp)
    jp_server_authorizer.permissions = {"actions": ["read"], "resources": ["contents"]}
    with pytest.raises(HTTPClientError) as caught:
        await jp_fetch("nepnb", "api", "health")
    assert caught.value.code == 403

    jp_server_authorizer.permissions = {"actions": ["read"], "resources": ["nepnb"]}
    response = await jp_fetch("nepnb", "api", "health")
    assert response.code == 200
