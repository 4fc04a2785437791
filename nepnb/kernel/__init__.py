"""The IPython side of nepnb: the ``%neptune`` magic and cell capture."""

from __future__ import annotations

from typing import Any


def load_ipython_extension(ipython: Any) -> None:
    """Register the ``%neptune`` magic in ``ipython``."""
    from nepnb.kernel.magics import NeptuneMagics

    ipython.register_magics(NeptuneMagics)


def unload_ipython_extension(ipython: Any) -> None:
    """Nothing to undo yet: magics stay registered, as with IPython's own extensions."""
