"""Neptune's LightGBM integration (package neptune-lightgbm), as ``neptune.integrations.lightgbm``."""

from nepnb.integrations._redirect import reexport

reexport(globals(), "neptune_lightgbm.impl", package="neptune-lightgbm")
