"""Neptune's AWS tools (package neptune-aws), as ``neptune.integrations.aws``."""

from nepnb.integrations._redirect import reexport

reexport(globals(), "neptune_aws.impl", package="neptune-aws")
