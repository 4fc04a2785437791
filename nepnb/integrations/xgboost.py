"""Neptune's XGBoost integration (package neptune-xgboost), as ``neptune.integrations.xgboost``."""

from nepnb.integrations._redirect import reexport

reexport(globals(), "neptune_xgboost.impl", package="neptune-xgboost")
