"""The IPython side of nepnb: the ``%neptune`` magic and cell capture."""

from __future__ import annotations

from typing import Any


def load_ipython_extension(ipython: Any) -> None:
    """Register the ``%neptune`` magic in ``ipython`` and start nepnb's kernel session."""
    from nepnb.kernel.magics import NeptuneMagics
    from nepnb.kernel.session import KernelSession

    ipython.register_magics(NeptuneMagics)
    KernelSession.of(ipython)  # the cell hooks, and the comm the JupyterLab extension answers


def unload_ipython_extension(ipython: Any) -> None:
    """Nothing to undo yet: magics stay registered, as with IPython's own extensions."""
