"""The nepnb jupyter-server extension application."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import threading
from collections import defaultdict
from pathlib import Path

from jupyter_server.extension.application import ExtensionApp
from traitlets import Unicode, default

from nepnb.client.config import DEFAULT_PROJECT, PROJECT_ENV
from nepnb.config import default_home
from nepnb.jupyter.routes import ROUTES
from nepnb.store.base import validate_project_name
from nepnb.store.local import LocalStore


class NepnbExtensionApp(ExtensionApp):
    """Serves nepnb's REST API under ``/nepnb/api/`` in a Jupyter server."""

    name = "nepnb"
    description = "nepnb: notebook checkpoints and experiment tracking."
    load_other_extensions = True

    home = Unicode(
        help="Folder of the embedded local store (default: $NEPNB_HOME, else the user data dir).",
    ).tag(config=True)

    @default("home")
    def _default_home(self) -> str:
        return str(default_home())

    project = Unicode(
        help="Project of checkpoints when a request names none (default: $NEPTUNE_PROJECT, "
        "else local/default).",
    ).tag(config=True)

    @default("project")
    def _default_project(self) -> str:
        return os.environ.get(PROJECT_ENV) or DEFAULT_PROJECT

    def initialize_settings(self) -> None:
        validate_project_name(self.project)
        store = LocalStore(Path(self.home))
        self.settings["nepnb"] = {
            "home": Path(self.home),
            "store": store,
            "project": self.project,
            "path_locks": defaultdict(asyncio.Lock),
        }
        self.log.info("nepnb: local store at %s, project %s", self.home, self.project)
        # nbdime and the image comparison take about a second to import: do it now, in the
        # background, rather than in the user's first compare.
        threading.Thread(target=_import_compare_engines, name="nepnb-warm-up", daemon=True).start()

    def initialize_handlers(self) -> None:
        self.handlers.extend(ROUTES)


def _import_compare_engines() -> None:
    """A warm-up only: a failure here shows again, and is reported, in the compare itself."""
    for module in ("nbdime.diffing.notebooks", "nepnb.notebooks.images"):
        with contextlib.suppress(Exception):
            importlib.import_module(module)
