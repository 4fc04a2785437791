"""The ``%neptune`` line magic."""

from __future__ import annotations

import shlex
from collections.abc import Callable

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class

from nepnb import __version__

HELP = f"""\
%neptune: track runs and notebook checkpoints with nepnb {__version__}.

Usage:
  %neptune                 show this help
  %neptune help            show this help
  %neptune version         show the nepnb version

nepnb stores everything in the embedded local store unless NEPTUNE_API_TOKEN
names a tracking server. Load the magic with `%load_ext nepnb`, or for every
kernel with c.InteractiveShellApp.extensions = ["nepnb"] in ipython_config.py.
"""


@magics_class
class NeptuneMagics(Magics):
    """The ``%neptune`` magic: one line magic with sub-commands."""

    def _subcommands(self) -> dict[str, Callable[[list[str]], None]]:
        return {"help": self._help, "version": self._version}

    @line_magic
    def neptune(self, line: str = "") -> None:
        """Track runs and notebook checkpoints with nepnb. `%neptune help` lists sub-commands."""
        try:
            words = shlex.split(line)
        except ValueError as error:
            raise UsageError(f"%neptune: cannot parse {line!r}: {error}") from None
        if not words:
            self._help([])
            return
        name, args = words[0], words[1:]
        subcommands = self._subcommands()
        if name not in subcommands:
            known = ", ".join(sorted(subcommands))
            raise UsageError(f"%neptune: unknown sub-command {name!r}; known: {known}")
        subcommands[name](args)

    def _help(self, args: list[str]) -> None:
        print(HELP, end="")

    def _version(self, args: list[str]) -> None:
        print(f"nepnb {__version__}")


# `%neptune?` shows the docstring of the magic function: make it the full help.
NeptuneMagics.neptune.__doc__ = HELP
