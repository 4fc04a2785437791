"""The IPython side of nepnb: the ``%neptune`` magic and cell capture."""

from __future__ import annotations

import sys
from typing import Any, TextIO


def load_ipython_extension(ipython: Any) -> None:
    """Register the ``%neptune`` magic in ``ipython`` and start nepnb's kernel session."""
    from nepnb.kernel.magics import NeptuneMagics
    from nepnb.kernel.session import KernelSession

    ipython.register_magics(NeptuneMagics)
    KernelSession.of(ipython)  # the cell hooks, and the comm the JupyterLab extension answers


def subscribe() -> None:
    """Subscribe the kernel side to the client's events (``nepnb.client.hooks``): a run opened
    in an IPython shell joins its session (cell capture, a linked checkpoint), and ``init_run``
    announces where the notebook reads it. ``nepnb``'s ``__init__`` calls it, so this holds
    before ``%load_ext nepnb`` too; the session module is imported only when a run opens."""
    from nepnb.client import hooks

    hooks.on_run_opened(_run_opened)
    hooks.set_announcement_stream(_announcement_stream)


def _run_opened(run: Any) -> None:
    if "IPython" not in sys.modules:  # a script: no shell to join, nothing to import
        return
    from nepnb.kernel.session import run_opened

    run_opened(run)


def _announcement_stream() -> TextIO | None:
    if "IPython" not in sys.modules:  # a script: stderr, as without a kernel
        return sys.stderr
    from nepnb.kernel.session import announcement_stream

    return announcement_stream()


def unload_ipython_extension(ipython: Any) -> None:
    """Nothing to undo yet: magics stay registered, as with IPython's own extensions."""
