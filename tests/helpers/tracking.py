"""What a tracking-server test holds: accounts on a shared deployment, or a server of its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nepnb.server.auth import Identity, decode_token
from nepnb.store.http import HTTPStore
from tests.helpers.servers import Deployment, TrackingServer


@dataclass
class Team:
    """Accounts on a deployment, made with unique names for one test."""

    deployment: Deployment
    identity: Identity
    suffix: str

    def name(self, base: str) -> str:
        return f"{base}-{self.suffix}"

    def account(self, base: str, **kwargs: Any) -> str:
        name = self.name(base)
        self.identity.create_account(name, **kwargs)
        return name

    def token(self, account: str, **kwargs: Any) -> str:
        """A full API token (base64 JSON) of ``account`` for this deployment's server."""
        return self.identity.issue_token(account, api_url=self.deployment.server.url, **kwargs)[1]

    def store(self, token: str) -> HTTPStore:
        url, key = decode_token(token)
        return HTTPStore(url, key, retry_for=2)


@dataclass
class OwnServer:
    """A tracking server of one test (it may be killed), and an admin token for it."""

    server: TrackingServer
    token: str
    database: str
