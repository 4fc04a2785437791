"""Neptune's Detectron2 integration (package neptune-detectron2), as ``neptune.integrations.detectron2``."""

from nepnb.integrations._redirect import reexport

reexport(globals(), "neptune_detectron2.impl", package="neptune-detectron2")
