"""Neptune's PyTorch integration (package neptune-pytorch, below 3.0, which targets Neptune's newer API), as ``neptune.integrations.pytorch``."""

from nepnb.integrations._redirect import reexport

reexport(globals(), "neptune_pytorch.impl", package="neptune-pytorch<3")
