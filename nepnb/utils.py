"""Helpers users import from ``neptune.utils``."""

from __future__ import annotations

import logging
import threading
from typing import Any

from nepnb.types.stringify import StringifyValue, stringify_unsupported

__all__ = ["StringifyValue", "stop_synchronization_callback", "stringify_unsupported"]


def stop_synchronization_callback(neptune_object: Any) -> None:
    """The default ``async_lag_callback`` / ``async_no_progress_callback`` (enabled by
    ``NEPTUNE_ENABLE_DEFAULT_ASYNC_LAG_CALLBACK=TRUE`` or
    ``NEPTUNE_ENABLE_DEFAULT_ASYNC_NO_PROGRESS_CALLBACK=TRUE``): stop the object. What is not
    in the store yet stays in its disk queue, for ``nepnb sync``."""
    logging.getLogger("nepnb").error(
        "nepnb: %s: writes are not reaching the store in time; stopping it "
        "(queued writes stay on disk for `nepnb sync`)",
        getattr(neptune_object, "_label", lambda: "object")(),
    )
    threading.Thread(target=neptune_object.stop, name="nepnb-stop", daemon=True).start()
