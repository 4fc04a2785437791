"""Neptune's fastai integration (package neptune-fastai), as ``neptune.integrations.fastai``."""

from nepnb.integrations._redirect import reexport

reexport(globals(), "neptune_fastai.impl", package="neptune-fastai")
