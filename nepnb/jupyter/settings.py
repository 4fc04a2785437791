"""The server extension's own settings (the tracking server's address and a token), stored
in a file of the store folder that only its owner can read.

Tornado-free: :mod:`nepnb.jupyter.stores` reads them to pick the store of a request, the
settings handler (:mod:`nepnb.jupyter.runs`) shows and changes them.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from nepnb.exceptions import InvalidValue
from nepnb.identity import set_author

#: The extension's own settings, in the store folder, readable by its owner only.
SETTINGS_FILE = "jupyter-server.json"
_SETTINGS_KEYS = ("server_url", "token", "author")
_settings_lock = threading.Lock()


def settings_path(home: Path) -> Path:
    return home / SETTINGS_FILE


def read_settings(home: Path) -> dict[str, Any]:
    """The stored settings: ``server_url`` (str) and ``token`` (str or None)."""
    try:
        data = json.loads(settings_path(home).read_text())
    except FileNotFoundError:
        data = {}
    except (OSError, ValueError) as error:
        raise InvalidValue(
            f"cannot read {settings_path(home)}: {error}. Delete it and set the settings again."
        ) from None
    return {"server_url": str(data.get("server_url") or ""), "token": data.get("token") or None}


def update_settings(home: Path, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Store ``changes`` (``server_url``, ``token``: None or "" forgets it) in a file only the
    owner can read (mode 0600); returns the settings. ``author`` goes where the kernel reads
    it too (:func:`nepnb.identity.set_author`)."""
    unknown = sorted(set(changes) - set(_SETTINGS_KEYS))
    if unknown:
        raise InvalidValue(
            f"unknown setting(s) {', '.join(unknown)}; the settings are {', '.join(_SETTINGS_KEYS)}"
        )
    if "author" in changes:
        set_author(changes["author"], home)
        changes = {key: value for key, value in changes.items() if key != "author"}
    update: dict[str, Any] = {}
    if "server_url" in changes:
        update["server_url"] = _server_url(changes["server_url"])
    if "token" in changes:
        token = changes["token"]
        if token is not None and not isinstance(token, str):
            raise InvalidValue("token must be text, or null to forget it")
        update["token"] = (token or "").strip() or None
    with _settings_lock:
        settings = {**read_settings(home), **update}
        target = settings_path(home)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(descriptor, 0o600)
            with os.fdopen(descriptor, "w") as file:
                json.dump(settings, file)
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    return settings


def _server_url(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidValue("server_url must be text: the tracking server's address, or empty")
    url = value.strip().rstrip("/")
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidValue(
                f"server_url {value!r} is not an http(s) address, e.g. https://nepnb.example.com"
            )
    return url
