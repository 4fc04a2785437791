"""The nepnb jupyter-server extension application."""

from __future__ import annotations

from pathlib import Path

from jupyter_server.extension.application import ExtensionApp
from traitlets import Unicode, default

from nepnb.config import default_home
from nepnb.jupyter.handlers import ROUTES


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

    def initialize_settings(self) -> None:
        self.settings["nepnb"] = {"home": Path(self.home)}
        self.log.info("nepnb: local store at %s", self.home)

    def initialize_handlers(self) -> None:
        self.handlers.extend(ROUTES)
