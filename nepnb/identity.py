"""Who signs checkpoints: one identity for the kernel, the Jupyter server extension and the CLI.

The name is, in order: the one set in nepnb's settings (JupyterLab: Settings → nepnb →
"Checkpoint author"; kept in the ``author`` file of nepnb's home folder, where the kernel
reads it too), else git's ``user.name``, else the login name. The Jupyter server's own
user (a random "Anonymous Cyllene" when nobody logs in) is never used: a checkpoint taken
from the toolbar and one taken by ``%neptune init_run`` in the same notebook are signed alike.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from nepnb.config import default_home
from nepnb.exceptions import InvalidValue

__all__ = ["AUTHOR_FILE", "MAX_AUTHOR", "author", "configured_author", "set_author"]

#: The file, in nepnb's home folder, holding the name set in the settings.
AUTHOR_FILE = "author"
#: Longest name accepted.
MAX_AUTHOR = 256


def configured_author(home: Path | None = None) -> str | None:
    """The name set in nepnb's settings, if any."""
    try:
        name = ((home or default_home()) / AUTHOR_FILE).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return name or None


def set_author(name: str | None, home: Path | None = None) -> None:
    """Set the name checkpoints are signed with (None or "" goes back to git's user.name)."""
    if name is not None and not isinstance(name, str):
        raise InvalidValue("author must be text, or null for git's user.name")
    name = " ".join((name or "").split())
    if len(name) > MAX_AUTHOR:
        raise InvalidValue(f"the author name has {len(name)} characters; at most {MAX_AUTHOR}")
    path = (home or default_home()) / AUTHOR_FILE
    if not name:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{AUTHOR_FILE}.tmp")
    temporary.write_text(name + "\n", encoding="utf-8")
    temporary.replace(path)


def author(home: Path | None = None) -> str:
    """The name to sign checkpoints with: the settings', else git's user.name, else the login."""
    configured = configured_author(home)
    if configured:
        return configured
    try:
        name = subprocess.run(
            ["git", "config", "user.name"], capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        name = ""
    if name:
        return name
    from nepnb.client.opening import owner

    return owner()
