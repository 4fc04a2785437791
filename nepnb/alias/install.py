"""The ``neptune`` alias of an environment: a startup hook in its site-packages.

``nepnb alias enable`` writes one file, ``nepnb-neptune-alias.pth``, into the site-packages of
the environment nepnb runs in; ``nepnb alias disable`` removes it. Python runs the file's
``import`` line at every start-up: it puts a small finder on ``sys.meta_path`` that imports
nothing until ``neptune`` is imported, then hands over to :mod:`nepnb.alias.finder`. If nepnb
is uninstalled with the alias on, the hook finds no nepnb and does nothing (no traceback at
start-up; ``import neptune`` fails as it would without it); ``nepnb alias disable`` before
uninstalling removes it.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from nepnb.alias.finder import real_client

HOOK_NAME = "nepnb-neptune-alias.pth"
_FORCED = "force = True"

#: The hook's code: nothing but a finder whose methods look at nepnb only for `neptune`.
_HOOK_CODE = '''\
import importlib.util, sys


class NepnbNeptuneAlias:
    """`import neptune` gives nepnb (`nepnb alias enable`; `nepnb alias disable` removes it)."""

    force = {force}

    def _finder(self):
        if importlib.util.find_spec("nepnb") is None:  # nepnb uninstalled: no alias
            return None
        from nepnb.alias.finder import installed_finder

        return installed_finder(self.force)

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "neptune" and not fullname.startswith("neptune."):
            return None
        finder = self._finder()
        return finder.find_spec(fullname, path, target) if finder else None

    def find_distributions(self, context=None):
        name = getattr(context, "name", None) or ""
        if name.lower().replace("_", "-") != "neptune":
            return []
        finder = self._finder()
        return finder.find_distributions(context) if finder else []


sys.meta_path.insert(0, NepnbNeptuneAlias())
'''


@dataclass(frozen=True)
class AliasStatus:
    """The alias of this environment."""

    hook: Path  #: where ``enable`` writes the hook
    enabled: bool  #: the hook is there
    forced: bool  #: enabled with ``--force``: nepnb even where the real client is installed
    real_client: str | None  #: the real Neptune client installed here ("neptune 1.14.0"), if any

    @property
    def active(self) -> bool:
        """Whether ``import neptune`` gives nepnb in a new process of this environment."""
        return self.enabled and (self.forced or self.real_client is None)


def hook_path() -> Path:
    """The hook's path: in the site-packages of the environment this Python belongs to."""
    return Path(sysconfig.get_paths()["purelib"]) / HOOK_NAME


def hook_text(force: bool) -> str:
    """The hook file: a comment, and one ``import`` line that Python runs at start-up."""
    code = _HOOK_CODE.format(force=force)
    line = f'import sys; exec(compile({code!r}, "<nepnb alias>", "exec"), {{}})'
    return f"# the `neptune` alias of nepnb: `nepnb alias disable` removes this file\n{line}\n"


def status() -> AliasStatus:
    """Whether the alias is on in this environment, and what ``import neptune`` gives."""
    hook = hook_path()
    try:
        text = hook.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = None
    return AliasStatus(
        hook=hook,
        enabled=text is not None,
        forced=text is not None and _FORCED in text,
        real_client=real_client(),
    )


def enable(force: bool = False) -> AliasStatus:
    """Write the hook (again, with ``force`` as given); the status after it."""
    hook = hook_path()
    hook.parent.mkdir(parents=True, exist_ok=True)
    partial = hook.with_name(f".{HOOK_NAME}.{os.getpid()}")
    partial.write_text(hook_text(force), encoding="utf-8")
    os.replace(partial, hook)  # never a half-written hook, even if interrupted
    return status()


def disable() -> bool:
    """Remove the hook; whether there was one."""
    try:
        hook_path().unlink()
    except FileNotFoundError:
        return False
    return True


def environment() -> str:
    """The environment the alias belongs to: this Python's prefix."""
    return sys.prefix
