"""Neptune's scikit-learn integration (package neptune-sklearn), as ``neptune.integrations.sklearn``."""

from nepnb.integrations._redirect import reexport

reexport(globals(), "neptune_sklearn.impl", package="neptune-sklearn")
