"""MosaicML Composer's NeptuneLogger, as ``neptune.integrations.mosaicml``."""

from nepnb.integrations._redirect import reexport

reexport(globals(), "composer.loggers", package="mosaicml", names=("NeptuneLogger",))
