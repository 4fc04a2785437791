"""Configuration of new objects: function arguments, then the environment, then defaults."""

from __future__ import annotations

import atexit
import base64
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nepnb.config import default_home
from nepnb.exceptions import InvalidToken, InvalidValue, NepnbError, NepnbWarning
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
    #: The tracking server's URL and API key, from an API token; None: the local store.
    server: tuple[str, str] | None = None


def resolve_settings(project: str | None, api_token: str | None, mode: str | None) -> Settings:
    """Settings from the arguments, the NEPTUNE_* variables and the defaults."""
    mode = (mode or os.environ.get(MODE_ENV) or "async").strip().lower()
    mode = _MODE_ALIASES.get(mode, mode)
    if mode not in MODES:
        raise InvalidValue(
            f"mode {mode!r} is not one of {', '.join(MODES)} (from the mode argument or "
            f"${MODE_ENV})"
        )
    server = server_of_token(api_token or os.environ.get(API_TOKEN_ENV))
    name = project or os.environ.get(PROJECT_ENV)
    if name is None and server is not None:
        raise InvalidValue(
            f"a tracking server token is set ({API_TOKEN_ENV}), but no project: pass "
            f"project='workspace/project' or set {PROJECT_ENV}. Projects this token can "
            f"reach: {_reachable(server)}"
        )
    name = name or DEFAULT_PROJECT
    validate_project_name(name)
    return Settings(
        project=name,
        mode=mode,
        home=default_home(),
        data_dir=default_data_dir(),
        server=server,
    )


def _reachable(server: tuple[str, str]) -> str:
    """The projects the token can reach, as a phrase (asked of the server, briefly)."""
    try:
        projects = http_store(server, retry_for=0).whoami()["projects"]
    except NepnbError as error:
        return f"unknown ({error})"
    return ", ".join(projects) or "none"


def default_data_dir() -> Path:
    """Where queued writes wait: ``$NEPTUNE_DATA_DIRECTORY``, else ``<store>/queue``."""
    configured = os.environ.get(DATA_DIRECTORY_ENV)
    return Path(configured or default_home() / "queue").expanduser().resolve()


def server_of_token(token: str | None) -> tuple[str, str] | None:
    """(server URL, API key) of a tracking server token; None for no token, the anonymous
    one, or a neptune.ai one (the local store then, with a warning); InvalidToken for a
    token that is none of these."""
    if not token or token == ANONYMOUS_API_TOKEN:
        return None
    from nepnb.store.http import decode_token

    try:
        url, key = decode_token(token)
    except InvalidToken:
        try:  # a Neptune token without api_key: only its address matters here
            decoded = json.loads(base64.b64decode(token + "=" * (-len(token) % 4)))
            url = str(decoded.get("api_address") or decoded.get("api_url") or "")
        except (ValueError, TypeError, AttributeError):
            url = ""
        if "neptune.ai" not in url:
            raise
    if "neptune.ai" in url:
        warn_user(
            "NEPTUNE_API_TOKEN points at neptune.ai, which has shut down; nepnb uses its local "
            "store instead. Unset NEPTUNE_API_TOKEN to silence this warning.",
            NepnbWarning,
        )
        return None
    return url, key


_stores: dict[Path, Store] = {}
_stores_lock = threading.Lock()


_http_stores: dict[tuple[str, str], Store] = {}


def store_for(settings: Settings) -> Store:
    """The store of ``settings``, shared by the objects of this process."""
    if settings.server is not None:
        return http_store(settings.server)
    return local_store(settings.home)


def http_store(server: tuple[str, str], *, retry_for: float | None = None) -> Any:
    """The HTTP store of a tracking server (URL, API key), one per server and process
    (``retry_for``: a new, unshared one that retries this long)."""
    from nepnb.store.http import HTTPStore

    if retry_for is not None:
        return HTTPStore(*server, retry_for=retry_for)
    with _stores_lock:
        store = _http_stores.get(server)
        if store is None:
            if not _http_stores:
                atexit.register(_close_http_stores)
            store = HTTPStore(*server)
            _http_stores[server] = store
        return store


def _close_http_stores() -> None:
    """Close the shared HTTP stores' connections at exit (their sockets otherwise linger
    until the interpreter tears down, with a ResourceWarning each)."""
    with _stores_lock:
        stores = list(_http_stores.values())
        _http_stores.clear()
    for store in stores:
        store.close()


def default_store() -> Store:
    """The store the environment names: the tracking server of $NEPTUNE_API_TOKEN, else
    the local store (for the CLI)."""
    server = server_of_token(os.environ.get(API_TOKEN_ENV))
    return local_store() if server is None else http_store(server)


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
