"""nepnb: a self-hosted, notebook-first experiment tracker that speaks the Neptune 1.x API.

``import nepnb as neptune`` runs existing Neptune code against the embedded local store; with
the alias on (``nepnb alias enable``, or ``nepnb.alias_neptune()``), ``import neptune`` does too.
Importing this package stays light: the Jupyter server side (tornado) and the kernel magic
are only imported when Jupyter asks for them through the hooks below.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from nepnb import exceptions
from nepnb._version import __version__
from nepnb.client import hooks as _hooks
from nepnb.kernel import subscribe as _subscribe_kernel

if TYPE_CHECKING:
    from nepnb import attributes, envs, handler, management, types, utils
    from nepnb.client.config import ANONYMOUS_API_TOKEN
    from nepnb.client.model import Model, ModelVersion, init_model, init_model_version
    from nepnb.client.project import Project, init_project
    from nepnb.client.run import Run, init_run

#: Names imported on first use (PEP 562): the client (and numpy with it) is not imported by
#: `nepnb checkpoint diff`, the Jupyter server extension's start or `import nepnb.cli`.
_LAZY_NAMES = {
    "ANONYMOUS_API_TOKEN": "nepnb.client.config",
    "Model": "nepnb.client.model",
    "ModelVersion": "nepnb.client.model",
    "init_model": "nepnb.client.model",
    "init_model_version": "nepnb.client.model",
    "Project": "nepnb.client.project",
    "init_project": "nepnb.client.project",
    "Run": "nepnb.client.run",
    "init_run": "nepnb.client.run",
}
_LAZY_MODULES = ("attributes", "envs", "handler", "management", "types", "utils")

__all__ = [
    "ANONYMOUS_API_TOKEN",
    "Model",
    "ModelVersion",
    "Project",
    "Run",
    "__version__",
    "alias_neptune",
    "attributes",
    "chart",
    "envs",
    "exceptions",
    "handler",
    "init_model",
    "init_model_version",
    "init_project",
    "init_run",
    "management",
    "types",
    "utils",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY_MODULES:
        value: Any = importlib.import_module(f"nepnb.{name}")
    elif name in _LAZY_NAMES:
        value = getattr(importlib.import_module(_LAZY_NAMES[name]), name)
    else:
        raise AttributeError(f"module 'nepnb' has no attribute {name!r}")
    globals()[name] = value  # once: later uses find it without this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def chart(runs: Any, paths: Any, **options: Any) -> Any:
    """Chart float series of runs in the notebook, live while they are written: ``runs`` is a
    Run, a run id, or a list of them; ``paths`` one path or several. See
    :func:`nepnb.widgets.chart` for the options; returns the chart widget."""
    from nepnb.widgets import chart as _chart

    return _chart(runs, paths, **options)


# The layers above the client subscribe to its events (nepnb.client.hooks): the kernel
# session hears of runs opened in a notebook, the widgets draw ``run[path].chart()``.
_subscribe_kernel()
_hooks.set_chart_factory(chart)


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "nepnb"}]


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    from nepnb.jupyter.app import NepnbExtensionApp

    return [{"module": "nepnb", "app": NepnbExtensionApp}]


def load_ipython_extension(ipython: Any) -> None:
    """Called by ``%load_ext nepnb``: registers the ``%neptune`` magic."""
    from nepnb.kernel import load_ipython_extension as _load

    _load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Called by ``%unload_ext nepnb``."""
    from nepnb.kernel import unload_ipython_extension as _unload

    _unload(ipython)


def alias_neptune(force: bool = False) -> bool:
    """Make ``import neptune`` give nepnb in this process (a notebook where nothing can be
    installed); returns whether it does. ``nepnb alias enable`` does it for a whole
    environment. See :func:`nepnb.alias.alias_neptune`."""
    from nepnb.alias import alias_neptune as _alias

    return _alias(force)
