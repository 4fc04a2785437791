"""HTTP handlers of the server extension; each one only translates HTTP."""

from __future__ import annotations

import json
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

from nepnb import __version__

#: The URL prefix of every nepnb endpoint (after the server's base_url).
API_PREFIX = "nepnb/api"


class NepnbAPIHandler(APIHandler):
    """Base of nepnb handlers: authorized against the ``nepnb`` resource, JSON replies."""

    auth_resource = "nepnb"

    @property
    def nepnb(self) -> dict[str, Any]:
        return self.settings["nepnb"]

    def write_json(self, data: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(data))


class HealthHandler(NepnbAPIHandler):
    """``GET /nepnb/api/health``: the version and where the store is."""

    @web.authenticated
    @authorized
    def get(self) -> None:
        self.write_json(
            {"version": __version__, "store": "local", "location": str(self.nepnb["home"])}
        )


ROUTES: list[tuple[str, type[NepnbAPIHandler]]] = [
    (rf"/{API_PREFIX}/health", HealthHandler),
]
