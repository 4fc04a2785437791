"""The tracking server's service routes."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from nepnb import __version__
from nepnb.server.api import (
    API,
    Svc,
    Who,
    WireResponse,
)

router = APIRouter(prefix=API)


@router.get("/health", tags=["service"])
async def health(s: Svc) -> Response:
    """Whether the server runs and reaches its database (no token needed). A load
    balancer reads the 503 it answers when the database is away as "not this one"."""
    await s.call(s.store.ping)
    return WireResponse({"status": "ok", "version": __version__})


@router.get("/whoami", tags=["service"])
async def whoami(s: Svc, who: Who) -> Response:
    """The account of the token, and the projects it can reach."""
    projects = await s.call(s.identity.visible_projects, who)
    return WireResponse(
        {
            "name": who.name,
            "kind": who.kind,
            "admin": who.admin,
            "read_only": who.read_only,
            "projects": projects,
        }
    )
