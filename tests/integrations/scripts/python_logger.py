"""neptune.integrations.python_logger: records of a standard logger, through NeptuneHandler,
to the default path and to one given."""

from __future__ import annotations

import logging

from _common import collect, open_run, write
from neptune.integrations.python_logger import NeptuneHandler

run = open_run()
logger = logging.getLogger("integration")
logger.setLevel(logging.DEBUG)
logger.addHandler(NeptuneHandler(run=run))
logger.addHandler(NeptuneHandler(run=run, level=logging.WARNING, path="logs/warnings"))
for index in range(3):
    logger.info("step %d done", index)
logger.warning("loss went up")
logger.debug("a detail")
result = collect(run)
# The default path is under the run's monitoring namespace (a per-process hash): by name.
default = f"{run.monitoring_namespace}/python_logger"
result["default_path"] = result["fields"].get(default)
run.stop()
logger.info("after stop: not sent, no error")
write(result)
