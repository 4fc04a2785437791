"""The tracking server's ASGI app: the Store interface over HTTP, every endpoint checked.

The routes (:mod:`nepnb.server.routes`, one FastAPI router per resource, the shared pieces
in :mod:`nepnb.server.api`) only translate: they authenticate the request (nepnb.server.auth), check the
caller's role on the project concerned, call the SQL store (nepnb.server.sql) in a worker
thread, and encode the answer with nepnb.store.wire (which the HTTP store decodes). Errors
are ``{"error": {"code", "message"}}`` with the status of the error's class. The OpenAPI
schema is at ``/openapi.json``; ``/api/v1/health`` needs no token.
"""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError, OperationalError

from nepnb import __version__
from nepnb.exceptions import (
    DatabaseUnavailable,
    NepnbError,
    StorageLimitExceeded,
    error_payload,
)
from nepnb.server.api import Services, WireResponse
from nepnb.server.auth import Identity
from nepnb.server.database import make_engine, migrate
from nepnb.server.routes import ROUTERS
from nepnb.server.sql import SQLStore

log = logging.getLogger("nepnb.server")


def create_app(database: str, blobs: Path | str) -> FastAPI:
    """The app over the database at URL ``database`` (migrated first) and a blob store
    (a folder, or ``s3://BUCKET/PREFIX``)."""
    engine = make_engine(database)
    migrate(engine)
    store = SQLStore(engine, blobs)
    identity = Identity(engine)
    app = FastAPI(
        title="nepnb tracking server",
        version=__version__,
        description="The tracking server of nepnb: runs, models, series, files and notebook "
        "checkpoints of the projects a token can reach.",
        default_response_class=WireResponse,
    )
    app.state.store = store
    app.state.identity = identity
    app.state.services = Services(store, identity)

    @app.exception_handler(NepnbError)
    async def _nepnb_error(request: Request, error: NepnbError) -> Response:
        if isinstance(error, StorageLimitExceeded):  # (for the admin: who needs room)
            log.warning("nepnb: %s %s refused: %s", request.method, request.url.path, error)
        return WireResponse(error_payload(error), status_code=error.http_status)

    @app.exception_handler(DBAPIError)
    async def _database_failed(request: Request, error: DBAPIError) -> Response:
        if not (error.connection_invalidated or isinstance(error, OperationalError)):
            return await _unexpected(request, error)
        # The database restarted, failed over or is unreachable: the pool drops its
        # connections and a client's retry (503 is retried) gets fresh ones.
        log.warning("nepnb: %s %s: the database failed: %s", request.method, request.url.path,
                    error.orig)  # fmt: skip
        unavailable = DatabaseUnavailable(
            f"the tracking server cannot reach its database right now ({error.orig}); "
            "try again shortly"
        )
        return WireResponse(error_payload(unavailable), status_code=unavailable.http_status)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> Response:
        log.exception("nepnb: %s %s failed", request.method, request.url.path)
        payload = {"error": {"code": "INTERNAL_ERROR", "message": f"server error: {error!r}"}}
        return JSONResponse(payload, status_code=500)

    for router in ROUTERS:
        app.include_router(router)
    return app
