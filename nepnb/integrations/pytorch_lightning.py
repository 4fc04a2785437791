"""PyTorch Lightning's NeptuneLogger (Lightning below 2.6.2), as ``neptune.integrations.pytorch_lightning``."""

from nepnb.integrations._redirect import reexport

reexport(
    globals(),
    "pytorch_lightning.loggers",
    package="pytorch-lightning<2.6.2",
    names=("NeptuneLogger",),
    missing_hint="the installed pytorch-lightning has no NeptuneLogger (Lightning 2.6.2 removed it); install it with: pip install 'pytorch-lightning<2.6.2'",
)
