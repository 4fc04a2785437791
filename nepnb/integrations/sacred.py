"""Neptune's Sacred integration (package neptune-sacred), as ``neptune.integrations.sacred``."""

from nepnb.integrations._redirect import reexport

reexport(globals(), "neptune_sacred.impl", package="neptune-sacred")
