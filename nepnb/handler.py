"""``neptune.handler``: the class of what ``run["path"]`` returns, for code that checks it
(``isinstance(x, neptune.handler.Handler)``, as Neptune's integrations do)."""

from __future__ import annotations

from nepnb.client.handler import Handler

__all__ = ["Handler"]
