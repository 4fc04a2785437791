"""``neptune.internal.state``: the states an object goes through; ``get_state()`` returns
the ``value`` of one of them ("started", then "stopped")."""

from __future__ import annotations

from enum import Enum

__all__ = ["ContainerState"]


class ContainerState(Enum):
    CREATED = "created"
    STARTED = "started"
    STOPPING = "stopping"
    STOPPED = "stopped"
