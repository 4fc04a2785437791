"""Neptune's Optuna integration (package neptune-optuna), as ``neptune.integrations.optuna``."""

from nepnb.integrations._redirect import reexport

reexport(globals(), "neptune_optuna.impl", package="neptune-optuna")
