"""Which store the Jupyter server extension reads: the tracking server whose token is in the
extension's settings (held on the Jupyter server side, never sent to the browser), else
the local store."""

from __future__ import annotations

import threading
from typing import Any

from nepnb.exceptions import InvalidToken
from nepnb.store.base import Store

#: Seconds a request of the extension waits for an unreachable tracking server.
RETRY_FOR = 3.0
_lock = threading.Lock()


def active_store(nepnb: dict[str, Any]) -> Store:
    """The store for this request: an HTTP store when the settings hold a nepnb server token
    (``server_url``, when set, overrides the address in the token), else the local store
    (``nepnb["store"]``). A token that is not a nepnb token leaves the local store in use."""
    from nepnb.jupyter.runs import read_settings
    from nepnb.store.http import HTTPStore, decode_token

    settings = read_settings(nepnb["home"])
    if not settings["token"]:
        return nepnb["store"]
    try:
        url, key = decode_token(settings["token"])
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
