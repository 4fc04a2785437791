"""Identity and access on the tracking server: accounts, API tokens, project roles.

- **Accounts** are users or service accounts. An admin user may do anything.
- **API tokens** are what clients hold: base64 of ``{"api_address", "api_url", "api_key"}``
  (the Neptune client's shape), so that a token alone says where the server is. The key is
  ``<token id>.<secret>``; the server keeps the SHA-256 of the secret only. Tokens can be
  read-only, expire, be revoked and be rotated (a new secret, the old one revoked).
- **Roles** on a project: viewer (read), contributor (read and write), owner (and manage).
  A user gets a role from the project's members; else a ``workspace`` project gives the
  workspace's members the viewer role, and a ``public`` one gives every user that role.
  A service account reaches only the projects it is a member of.
- A principal that may not read a project is told it does not exist (and which projects it
  can reach), so that names of private projects do not leak.

No HTTP here: nepnb.server.app checks each request through :class:`Identity`, and the
``nepnb admin`` commands manage accounts with it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from nepnb.exceptions import (
    Conflict,
    InvalidValue,
    PermissionDenied,
    ProjectNotFound,
    Unauthenticated,
)
from nepnb.server import tables as t
from nepnb.server.database import WRITE
from nepnb.store.base import validate_project_name
from nepnb.store.http import decode_token as decode_token  # re-exported
from nepnb.store.http import encode_token

ROLES = ("viewer", "contributor", "owner")
VISIBILITIES = ("private", "workspace", "public")
ACCOUNT_KINDS = ("user", "service")
#: What each kind of request needs.
NEEDS = {"read": "viewer", "write": "contributor", "manage": "owner"}


@dataclass(frozen=True)
class Principal:
    """Who a request comes from: an account, through one of its tokens."""

    account_id: int
    name: str
    kind: str
    admin: bool
    read_only: bool
    token_id: str


@dataclass(frozen=True)
class TokenInfo:
    """A token as listed (never its secret)."""

    id: str
    account: str
    name: str
    read_only: bool
    created: float
    expires: float | None
    revoked: float | None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _rank(role: str | None) -> int:
    return -1 if role is None else ROLES.index(role)


class Identity:
    """Accounts, workspaces, project roles and tokens in the server's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # accounts and workspaces --------------------------------------------------------------
    def create_account(
        self, name: str, *, kind: str = "user", admin: bool = False, workspace: str | None = None
    ) -> int:
        """A new account; Conflict if the name is taken."""
        if kind not in ACCOUNT_KINDS:
            raise InvalidValue(f"account kind {kind!r} is not one of {', '.join(ACCOUNT_KINDS)}")
        if not name or len(name) > 100:
            raise InvalidValue("an account name has 1 to 100 characters")
        try:
            with self.engine.connect().execution_options(**WRITE) as con, con.begin():
                if workspace is not None:
                    self._ensure_workspace(con, workspace)
                con.execute(
                    insert(t.accounts).values(
                        name=name, kind=kind, admin=admin, workspace=workspace, created=time.time()
                    )
                )
                found = con.execute(select(t.accounts.c.id).where(t.accounts.c.name == name))
                return int(found.scalar_one())
        except IntegrityError:
            raise Conflict(f"an account named {name!r} exists already") from None

    def account_id(self, name: str) -> int:
        """The id of the account ``name``; InvalidValue if there is none."""
        with self.engine.connect() as con:
            found = con.execute(select(t.accounts.c.id).where(t.accounts.c.name == name)).scalar()
        if found is None:
            raise InvalidValue(f"no account named {name!r} (`nepnb admin user list` lists them)")
        return int(found)

    def list_accounts(self) -> list[dict[str, Any]]:
        a = t.accounts.c
        with self.engine.connect() as con:
            rows = con.execute(select(a.name, a.kind, a.admin, a.workspace).order_by(a.name))
            return [dict(row._mapping) for row in rows]

    def has_admin(self) -> bool:
        with self.engine.connect() as con:
            return (
                con.execute(select(t.accounts.c.id).where(t.accounts.c.admin.is_(True))).first()
                is not None
            )

    @staticmethod
    def _ensure_workspace(con: Any, name: str) -> None:
        if con.execute(select(t.workspaces.c.name).where(t.workspaces.c.name == name)).first():
            return
        validate_project_name(f"{name}/x")  # the same rules as a project name's first part
        con.execute(insert(t.workspaces).values(name=name, created=time.time()))

    def create_workspace(self, name: str, members: list[str] = ()) -> None:  # type: ignore[assignment]
        """A workspace (nothing if it exists) with these user names as members."""
        ids = [self.account_id(member) for member in members]
        with self.engine.connect().execution_options(**WRITE) as con, con.begin():
            self._ensure_workspace(con, name)
            for account_id in ids:
                exists = con.execute(
                    select(t.workspace_members.c.account_id).where(
                        t.workspace_members.c.workspace == name,
                        t.workspace_members.c.account_id == account_id,
                    )
                ).first()
                if not exists:
                    con.execute(
                        insert(t.workspace_members).values(workspace=name, account_id=account_id)
                    )

    # projects --------------------------------------------------------------------------
    def set_project(
        self, project: str, *, visibility: str | None = None, storage_limit: int | None = None
    ) -> None:
        """Change a project's visibility or storage limit (bytes; 0: none)."""
        values: dict[str, Any] = {}
        if visibility is not None:
            if visibility not in VISIBILITIES:
                raise InvalidValue(
                    f"visibility {visibility!r} is not one of {', '.join(VISIBILITIES)}"
                )
            values["visibility"] = visibility
        if storage_limit is not None:
            values["storage_limit"] = storage_limit or None
        if not values:
            return
        with self.engine.connect().execution_options(**WRITE) as con, con.begin():
            self._ensure_workspace(con, project.split("/")[0])
            done = con.execute(
                update(t.projects).where(t.projects.c.name == project).values(**values)
            )
            if not done.rowcount:
                raise ProjectNotFound(f"no project {project!r} on this server")

    def grant(self, project: str, account: str, role: str | None) -> None:
        """Give ``account`` the ``role`` on ``project`` (None: take its role away)."""
        if role is not None and role not in ROLES:
            raise InvalidValue(f"role {role!r} is not one of {', '.join(ROLES)}")
        account_id = self.account_id(account)
        m = t.project_members.c
        with self.engine.connect().execution_options(**WRITE) as con, con.begin():
            project_id = con.execute(
                select(t.projects.c.id).where(t.projects.c.name == project)
            ).scalar()
            if project_id is None:
                raise ProjectNotFound(f"no project {project!r} on this server")
            con.execute(
                delete(t.project_members).where(
                    m.project_id == project_id, m.account_id == account_id
                )
            )
            if role is not None:
                con.execute(
                    insert(t.project_members).values(
                        project_id=project_id, account_id=account_id, role=role
                    )
                )

    def members(self, project: str, *, kind: str = "user") -> dict[str, str]:
        """The accounts of ``kind`` ("user" or "service") that have a role on ``project``:
        name -> role. ProjectNotFound if there is no such project."""
        p, m, a = t.projects.c, t.project_members.c, t.accounts.c
        with self.engine.connect() as con:
            project_id = con.execute(select(p.id).where(p.name == project)).scalar()
            if project_id is None:
                raise ProjectNotFound(f"no project {project!r} on this server")
            rows = con.execute(
                select(a.name, m.role)
                .join(t.accounts, a.id == m.account_id)
                .where(m.project_id == project_id, a.kind == kind)
                .order_by(a.name)
            )
            return {str(name): str(role) for name, role in rows}

    def add_member(self, project: str, account: str, role: str, *, kind: str = "user") -> None:
        """Give ``account`` (of ``kind``) the ``role`` on ``project``; Conflict if it has a
        role there already (remove it first to change it)."""
        self._member_kind(account, kind)
        if account in self.members(project, kind=kind):
            raise Conflict(
                f"{account} is already a member of {project!r}; remove it first to change its role"
            )
        self.grant(project, account, role)

    def remove_member(self, project: str, account: str, *, kind: str = "user") -> None:
        """Take ``account``'s role on ``project`` away; InvalidValue if it has none."""
        self._member_kind(account, kind)
        if account not in self.members(project, kind=kind):
            raise InvalidValue(f"{account} is not a member of {project!r}")
        self.grant(project, account, None)

    def _member_kind(self, account: str, kind: str) -> None:
        with self.engine.connect() as con:
            found = con.execute(
                select(t.accounts.c.kind).where(t.accounts.c.name == account)
            ).scalar()
        if found is None:
            what = "service account" if kind == "service" else "user"
            raise InvalidValue(f"no {what} named {account!r} on this server")
        if found != kind:
            raise InvalidValue(
                f"{account!r} is a {'service account' if found == 'service' else 'user'}; use "
                f"the {'service account' if found == 'service' else 'member'} functions for it"
            )

    def workspace_members(self, workspace: str) -> dict[str, str]:
        """The users of ``workspace``: name -> "admin" (a server admin) or "member"."""
        w, a = t.workspace_members.c, t.accounts.c
        with self.engine.connect() as con:
            if not con.execute(
                select(t.workspaces.c.name).where(t.workspaces.c.name == workspace)
            ).first():
                raise InvalidValue(f"no workspace {workspace!r} on this server")
            rows = con.execute(
                select(a.name, a.admin)
                .join(t.accounts, a.id == w.account_id)
                .where(w.workspace == workspace)
                .order_by(a.name)
            )
            return {str(name): "admin" if admin else "member" for name, admin in rows}

    def in_workspace(self, principal: Principal, workspace: str) -> bool:
        """Whether ``principal`` is a member of ``workspace`` (admins are of every one)."""
        if principal.admin:
            return True
        w = t.workspace_members.c
        with self.engine.connect() as con:
            return (
                con.execute(
                    select(w.account_id).where(
                        w.workspace == workspace, w.account_id == principal.account_id
                    )
                ).first()
                is not None
            )

    # tokens ----------------------------------------------------------------------------
    def issue_token(
        self,
        account: str,
        *,
        api_url: str,
        read_only: bool = False,
        expires_in: float | None = None,
        name: str = "",
    ) -> tuple[str, str]:
        """A new token of ``account``: (its id, the API token). The token is shown once."""
        account_id = self.account_id(account)
        token_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        now = time.time()
        with self.engine.connect().execution_options(**WRITE) as con, con.begin():
            con.execute(
                insert(t.tokens).values(
                    id=token_id,
                    account_id=account_id,
                    secret_hash=_hash(secret),
                    name=name or f"{account} token",
                    read_only=read_only,
                    created=now,
                    expires=None if expires_in is None else now + expires_in,
                )
            )
        return token_id, encode_token(api_url, f"{token_id}.{secret}")

    def revoke_token(self, token_id: str) -> None:
        """Revoke a token at once; InvalidValue if there is no such token."""
        with self.engine.connect().execution_options(**WRITE) as con, con.begin():
            done = con.execute(
                update(t.tokens)
                .where(t.tokens.c.id == token_id, t.tokens.c.revoked.is_(None))
                .values(revoked=time.time())
            )
        if not done.rowcount:
            raise InvalidValue(f"no active token {token_id!r} (`nepnb admin token list`)")

    def rotate_token(self, token_id: str, *, api_url: str) -> tuple[str, str]:
        """Revoke ``token_id`` and issue a token with the same account and rights."""
        k = t.tokens.c
        with self.engine.connect() as con:
            row = con.execute(
                select(t.accounts.c.name, k.read_only, k.expires, k.created, k.name)
                .join(t.accounts, t.accounts.c.id == k.account_id)
                .where(k.id == token_id, k.revoked.is_(None))
            ).first()
        if row is None:
            raise InvalidValue(f"no active token {token_id!r} (`nepnb admin token list`)")
        account, read_only, expires, created, name = row
        lifetime = None if expires is None else expires - created
        new = self.issue_token(
            account, api_url=api_url, read_only=read_only, expires_in=lifetime, name=name
        )
        self.revoke_token(token_id)
        return new

    def list_tokens(self) -> list[TokenInfo]:
        k = t.tokens.c
        with self.engine.connect() as con:
            rows = con.execute(
                select(
                    k.id, t.accounts.c.name, k.name, k.read_only, k.created, k.expires, k.revoked
                )
                .join(t.accounts, t.accounts.c.id == k.account_id)
                .order_by(k.created)
            )
            return [TokenInfo(*row) for row in rows]

    def authenticate(self, api_key: str | None) -> Principal:
        """The principal of ``api_key`` (``<id>.<secret>``); Unauthenticated if it is not a
        live token."""
        if not api_key:
            raise Unauthenticated(
                "this request needs an API token: set NEPTUNE_API_TOKEN (the server's admin "
                "makes one with `nepnb admin token create`)"
            )
        token_id, _, secret = api_key.partition(".")
        k, a = t.tokens.c, t.accounts.c
        with self.engine.connect() as con:
            row = con.execute(
                select(
                    k.secret_hash, k.read_only, k.expires, k.revoked, a.id, a.name, a.kind, a.admin
                )
                .join(t.accounts, a.id == k.account_id)
                .where(k.id == token_id)
            ).first()
        if row is None or not hmac.compare_digest(row[0], _hash(secret)):
            raise Unauthenticated("the API token is not known to this server; ask for a new one")
        _, read_only, expires, revoked, account_id, name, kind, admin = row
        if revoked is not None:
            raise Unauthenticated(f"the API token {token_id} was revoked; ask for a new one")
        if expires is not None and expires < time.time():
            raise Unauthenticated(f"the API token {token_id} has expired; ask for a new one")
        return Principal(account_id, name, kind, bool(admin), bool(read_only), token_id)

    # access ----------------------------------------------------------------------------
    def role(self, principal: Principal, project: str) -> str | None:
        """The role of ``principal`` on ``project`` (None: no access, or no such project;
        an admin is the owner of every project, so reading a missing one finds nothing in
        it, as in the local store)."""
        if principal.admin:  # of every project, even one not made yet
            return "owner"
        p, m, w = t.projects.c, t.project_members.c, t.workspace_members.c
        member_role = select(m.role).where(
            m.project_id == p.id, m.account_id == principal.account_id
        )
        in_workspace = select(w.account_id).where(
            w.workspace == project.split("/")[0], w.account_id == principal.account_id
        )
        with self.engine.connect() as con:  # one round trip: this runs for every request
            found = con.execute(
                select(p.visibility, member_role.scalar_subquery(), in_workspace.exists()).where(
                    p.name == project
                )
            ).first()
        if found is None:
            return None
        visibility, role, workspace_member = found
        if role is not None or principal.kind == "service":
            return role
        if visibility == "public" or (visibility == "workspace" and workspace_member):
            return "viewer"
        return None

    def check(self, principal: Principal, project: str, need: str) -> None:
        """Nothing if ``principal`` may ``need`` ("read", "write", "manage") on ``project``;
        else ProjectNotFound (cannot read it: listing what it can reach) or PermissionDenied."""
        role = self.role(principal, project)
        if role is None:
            reachable = ", ".join(self.visible_projects(principal)) or "none"
            raise ProjectNotFound(
                f"no project {project!r} that this token can reach. Projects it can reach: "
                f"{reachable}. Check NEPTUNE_PROJECT (or project=...), or ask the server's "
                "admin for access."
            )
        if need != "read" and principal.read_only:
            raise PermissionDenied(
                f"this API token ({principal.token_id}) is read-only: it cannot write to "
                f"{project!r}. Use a token that is not read-only."
            )
        if _rank(role) < _rank(NEEDS[need]):
            raise PermissionDenied(
                f"{principal.name} is a {role} of {project!r}; this needs the "
                f"{NEEDS[need]} role. Ask an owner of the project or the server's admin."
            )

    def visible_projects(self, principal: Principal) -> list[str]:
        """The projects ``principal`` can read, by name."""
        p, m = t.projects.c, t.project_members.c
        query = select(p.name).order_by(p.name)
        if not principal.admin:
            member = select(m.project_id).where(m.account_id == principal.account_id)
            if principal.kind == "service":
                query = query.where(p.id.in_(member))
            else:
                workspaces = select(t.workspace_members.c.workspace).where(
                    t.workspace_members.c.account_id == principal.account_id
                )
                ws_projects = [
                    p.name.startswith(f"{ws}/", autoescape=True) for ws in self._names(workspaces)
                ]
                query = query.where(
                    or_(
                        p.id.in_(member),
                        p.visibility == "public",
                        (p.visibility == "workspace") & or_(False, *ws_projects),
                    )
                )
        return self._names(query)

    def _names(self, query: Any) -> list[str]:
        with self.engine.connect() as con:
            return [str(name) for name in con.execute(query).scalars()]
