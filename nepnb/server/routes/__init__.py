"""The tracking server's routes, one router per resource (each route gets the app's
services as a dependency: see :mod:`nepnb.server.api`)."""

from __future__ import annotations

from nepnb.server.routes import blobs, checkpoints, fields, objects, projects, service, trash

#: Every router of the API, in the order the app includes them (the OpenAPI order).
ROUTERS = [
    service.router,
    projects.router,
    objects.router,
    trash.router,
    fields.router,
    blobs.router,
    checkpoints.router,
]
