"""Hugging Face Transformers' NeptuneCallback, as ``neptune.integrations.transformers``."""

from nepnb.integrations._redirect import reexport

reexport(
    globals(), "transformers.integrations", package="transformers<5", names=("NeptuneCallback",)
)
