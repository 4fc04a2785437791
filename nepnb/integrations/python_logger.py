"""``neptune.integrations.python_logger``: a :mod:`logging` handler that appends each record
to a StringSeries of a run (``monitoring/<hash>/python_logger`` unless told otherwise)."""

from __future__ import annotations

import logging
import threading

from nepnb.client.run import Run
from nepnb.internal.state import ContainerState
from nepnb.internal.utils import verify_type
from nepnb.version import __version__ as neptune_version

__all__ = ["NeptuneHandler"]

INTEGRATION_VERSION_KEY = "source_code/integrations/neptune-python-logger"


class NeptuneHandler(logging.Handler):
    """Sends the records of the loggers it is added to to ``run[path]``, one string each.

    >>> handler = NeptuneHandler(run=run)
    >>> logging.getLogger("train").addHandler(handler)
    """

    def __init__(self, *, run: Run, level: int = logging.NOTSET, path: str | None = None) -> None:
        verify_type("run", run, Run)
        verify_type("level", level, int)
        if path is None:
            path = f"{run.monitoring_namespace}/python_logger"
        verify_type("path", path, str)
        super().__init__(level=level)
        self._run = run
        self._path = path
        self._thread_local = threading.local()
        run[INTEGRATION_VERSION_KEY] = neptune_version

    def emit(self, record: logging.LogRecord) -> None:
        # A record logged while writing one (nepnb's own logging) is not sent again.
        if getattr(self._thread_local, "inside_write", False):
            return
        if self._run.get_state() != ContainerState.STARTED.value:
            return
        try:
            self._thread_local.inside_write = True
            self._run[self._path].append(self.format(record))
        finally:
            self._thread_local.inside_write = False
