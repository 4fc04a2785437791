"""Which store the Jupyter server extension reads: the tracking server whose token is in the
extension's settings (held on the Jupyter server side, never sent to the browser), else the
one of ``$NEPTUNE_API_TOKEN`` in the Jupyter server's environment (as its kernels have it),
else the local store."""

from __future__ import annotations

import os
import threading
from typing import Any

from nepnb.exceptions import (
    DatabaseUnavailable,
    InvalidToken,
    NepnbError,
    PermissionDenied,
    ServerUnavailable,
    Unauthenticated,
)
from nepnb.jupyter.settings import read_settings
from nepnb.store.base import Store

#: Where the user sets the token, as JupyterLab's command palette names the command.
TOKEN_COMMAND = '"nepnb: Set the tracking server token…" (in the command palette)'
#: Seconds a request of the extension waits for an unreachable tracking server.
RETRY_FOR = 3.0
_lock = threading.Lock()


def environment_token() -> str | None:
    """``$NEPTUNE_API_TOKEN`` of the Jupyter server's process (its kernels inherit it)."""
    from nepnb.client.config import API_TOKEN_ENV

    return os.environ.get(API_TOKEN_ENV, "").strip() or None


def active_store(nepnb: dict[str, Any]) -> Store:
    """The store for this request: an HTTP store when the settings hold a nepnb server token,
    else when ``$NEPTUNE_API_TOKEN`` is one (``server_url``, when set, overrides the address
    in the token); else the local store (``nepnb["store"]``). A token that is not a nepnb
    token (a neptune.ai one, ``ANONYMOUS``) leaves the local store in use."""
    from nepnb.store.http import HTTPStore, decode_token

    settings = read_settings(nepnb["home"])
    token = settings["token"] or environment_token()
    if not token:
        return nepnb["store"]
    try:
        url, key = decode_token(token)
    except InvalidToken:
        return nepnb["store"]
    if "neptune.ai" in url:
        return nepnb["store"]
    url = settings["server_url"] or url
    with _lock:
        cache: dict[tuple[str, str], Store] = nepnb.setdefault("http_stores", {})
        store = cache.get((url, key))
        if store is None:
            store = cache[(url, key)] = HTTPStore(url, key, retry_for=RETRY_FOR)
        return store


class TokenRefused(Unauthenticated):
    """The tracking server of the extension's settings refused their token."""

    code = "TRACKING_SERVER_REFUSED_TOKEN"
    http_status = 502  # the Jupyter user is signed in; the server behind refused the token


class TrackingServerUnreachable(ServerUnavailable):
    """The tracking server of the extension's settings did not answer."""

    code = "TRACKING_SERVER_UNREACHABLE"


def tracking_server_error(error: BaseException, store: Store) -> NepnbError | None:
    """``error`` of an HTTP store, worded for the JupyterLab user (what and how to fix), or
    None when it is not one of the tracking server's refusals or absences."""
    if store.kind != "http" or isinstance(error, (TokenRefused, TrackingServerUnreachable)):
        return None
    url = store.location
    if isinstance(error, Unauthenticated):
        return TokenRefused(
            f"the tracking server at {url} refused the API token ({error}). Set a valid token "
            f"with the command {TOKEN_COMMAND}."
        )
    if isinstance(error, PermissionDenied):
        return TokenRefused(
            f"the tracking server at {url} refused this request for the API token ({error}). "
            f"Ask its admin for access, or set another token with the command {TOKEN_COMMAND}."
        )
    if isinstance(error, DatabaseUnavailable):
        return TrackingServerUnreachable(
            f"the tracking server at {url} answers, but cannot reach its database right now: "
            "a matter for its admin. The panels try again by themselves, or press Refresh."
        )
    if isinstance(error, ServerUnavailable):
        return TrackingServerUnreachable(
            f"cannot reach the tracking server at {url}: is it running, and is the address "
            "right (Settings → nepnb → Tracking server address)? The panels try again by "
            "themselves, or press Refresh."
        )
    return None
