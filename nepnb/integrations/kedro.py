"""Neptune's Kedro plugin (package kedro-neptune), as ``neptune.integrations.kedro``."""

from nepnb.integrations._redirect import reexport

reexport(globals(), "kedro_neptune", package="kedro-neptune")
