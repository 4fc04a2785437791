"""Neptune's TensorBoard integration (package neptune-tensorboard), as ``neptune.integrations.tensorboard``."""

from nepnb.integrations._redirect import reexport

reexport(globals(), "neptune_tensorboard.impl", package="neptune-tensorboard")
