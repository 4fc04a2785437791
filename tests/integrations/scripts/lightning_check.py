"""Lightning's availability check for its NeptuneLogger: lightning_utilities'
RequirementCache("neptune>=1.0"), which Lightning (up to 2.6.1) calls before the logger runs,
and the version importlib.metadata gives."""

from __future__ import annotations

import importlib.metadata

from lightning_utilities.core.imports import RequirementCache, module_available

requirement = RequirementCache("neptune>=1.0")  # before anything imports neptune
available = bool(requirement)

from _common import client, write  # noqa: E402 (imports neptune)

write(
    {
        "client": client(),
        "fields": {},
        "available": available,
        "message": str(requirement),
        "module_available": module_available("neptune"),
        "version": importlib.metadata.version("neptune"),
    }
)
