"""The Jupyter extension answers nepnb's errors with the statuses the tracking server uses."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jupyter_server.utils import url_path_join
from tornado import web

from nepnb.exceptions import NepnbError
from nepnb.jupyter.base import NepnbAPIHandler
from tests.helpers.errors import ERRORS, IDS


class _Raising(NepnbAPIHandler):
    """Raises the error of ``ERRORS`` its URL names, as a real handler's work would."""

    @web.authenticated
    async def get(self, index: str) -> None:
        raise ERRORS[int(index)][0]


@pytest.fixture
def raising(jp_serverapp: Any) -> None:
    route = url_path_join(jp_serverapp.base_url, "nepnb-test/raise/([0-9]+)")
    jp_serverapp.web_app.add_handlers(".*$", [(route, _Raising)])


@pytest.mark.parametrize(("index", "status"), list(enumerate(s for _, s in ERRORS)), ids=IDS)
async def test_an_error_answers_its_class_status_with_its_message(
    jp_fetch: Any, raising: None, index: int, status: int
) -> None:
    error: NepnbError = ERRORS[index][0]
    response = await jp_fetch("nepnb-test", "raise", str(index), raise_error=False)
    assert response.code == status == error.http_status
    body = json.loads(response.body)
    assert body["message"] == str(error)
    assert body["reason"] == type(error).__name__
