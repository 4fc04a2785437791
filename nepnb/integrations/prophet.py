"""Neptune's Prophet integration (package neptune-prophet), as ``neptune.integrations.prophet``."""

from nepnb.integrations._redirect import reexport

reexport(globals(), "neptune_prophet.impl", package="neptune-prophet")
