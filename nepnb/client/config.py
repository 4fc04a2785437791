"""Configuration of new objects: function arguments, then the environment, then defaults."""

from __future__ import annotations

import base64
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from nepnb.config import default_home
from nepnb.exceptions import InvalidValue, NepnbError, NepnbWarning
from nepnb.store.base import Store, validate_project_name
from nepnb.warn import warn_user

PROJECT_ENV = "NEPTUNE_PROJECT"
API_TOKEN_ENV = "NEPTUNE_API_TOKEN"
MODE_ENV = "NEPTUNE_MODE"
CUSTOM_RUN_ID_ENV = "NEPTUNE_CUSTOM_RUN_ID"
DATA_DIRECTORY_ENV = "NEPTUNE_DATA_DIRECTORY"
MONITORING_NAMESPACE_ENV = "NEPTUNE_MONITORING_NAMESPACE"
DEFAULT_LAG_CALLBACK_ENV = "NEPTUNE_ENABLE_DEFAULT_ASYNC_LAG_CALLBACK"
DEFAULT_NO_PROGRESS_CALLBACK_ENV = "NEPTUNE_ENABLE_DEFAULT_ASYNC_NO_PROGRESS_CALLBACK"

#: The token the Neptune client used for its public projects; here it means "the local store".
ANONYMOUS_API_TOKEN = "ANONYMOUS"
DEFAULT_PROJECT = "local/default"
MODES = ("async", "sync", "offline", "debug", "read-only")
_MODE_ALIASES = {"read_only": "read-only", "readonly": "read-only"}


@dataclass(frozen=True)
class Settings:
    """Where an object goes and how."""

    project: str
    mode: str
    home: Path
    data_dir: Path


def resolve_settings(project: str | None, api_token: str | None, mode: str | None) -> Settings:
    """Settings from the arguments, the NEPTUNE_* variables and the defaults."""
    mode = (mode or os.environ.get(MODE_ENV) or "async").strip().lower()
    mode = _MODE_ALIASES.get(mode, mode)
    if mode not in MODES:
        raise InvalidValue(
            f"mode {mode!r} is not one of {', '.join(MODES)} (from the mode argument or "
            f"${MODE_ENV})"
        )
    _check_token(api_token or os.environ.get(API_TOKEN_ENV))
    name = project or os.environ.get(PROJECT_ENV) or DEFAULT_PROJECT
    validate_project_name(name)
    return Settings(project=name, mode=mode, home=default_home(), data_dir=default_data_dir())


def default_data_dir() -> Path:
    """Where queued writes wait: ``$NEPTUNE_DATA_DIRECTORY``, else ``<store>/queue``."""
    configured = os.environ.get(DATA_DIRECTORY_ENV)
    return Path(configured or default_home() / "queue").expanduser().resolve()


def _check_token(token: str | None) -> None:
    """No token (or the anonymous one) means the local store; a server token is not usable yet."""
    if not token or token == ANONYMOUS_API_TOKEN:
        return
    try:
        decoded = json.loads(base64.b64decode(token + "=" * (-len(token) % 4)))
        address = str(decoded.get("api_address") or decoded.get("api_url") or "")
    except (ValueError, TypeError, AttributeError):
        address = ""
    if "neptune.ai" in address:
        warn_user(
            "NEPTUNE_API_TOKEN points at neptune.ai, which has shut down; nepnb uses its local "
            "store instead. Unset NEPTUNE_API_TOKEN to silence this warning.",
            NepnbWarning,
        )
        return
    raise NepnbError(
        "an API token for a nepnb tracking server was given, but this nepnb has no tracking "
        "server client yet. Unset NEPTUNE_API_TOKEN (and api_token=) to use the local store."
    )


_stores: dict[Path, Store] = {}
_stores_lock = threading.Lock()


def store_for(settings: Settings) -> Store:
    """The store of ``settings``, shared by the objects of this process."""
    return local_store(settings.home)


def local_store(home: Path | None = None) -> Store:
    """The local store in ``home`` (default: $NEPNB_HOME, else the user data dir), one per
    folder and process."""
    from nepnb.store.local import LocalStore

    folder = home or default_home()
    with _stores_lock:
        store = _stores.get(folder)
        if store is None:
            store = LocalStore(folder)
            _stores[folder] = store
        return store
