"""``nepnb server`` (run the tracking server) and ``nepnb admin`` (accounts, projects, tokens).

The admin commands work on the server's database directly (the same ``--database`` as the
server), so the first admin can be made before anyone has a token.
"""

from __future__ import annotations

import argparse
import os
import socket
from pathlib import Path
from typing import Any

from nepnb.config import default_home
from nepnb.exceptions import StoreError

DATABASE_ENV = "NEPNB_SERVER_DATABASE"
BLOBS_ENV = "NEPNB_SERVER_BLOBS"
URL_ENV = "NEPNB_SERVER_URL"
DEFAULT_PORT = 8765


def default_database() -> str:
    """``$NEPNB_SERVER_DATABASE``, else SQLite in ``<NEPNB_HOME>/server/``."""
    return os.environ.get(DATABASE_ENV) or f"sqlite:///{default_home() / 'server' / 'server.db'}"


def default_blobs() -> str | Path:
    """``$NEPNB_SERVER_BLOBS`` (a folder or ``s3://BUCKET/PREFIX``), else ``<NEPNB_HOME>/server/blobs``."""
    return os.environ.get(BLOBS_ENV) or default_home() / "server" / "blobs"


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument(
        "--database",
        default=None,
        metavar="URL",
        help=f"the server's database: sqlite:///PATH or postgresql://USER@HOST/DB "
        f"(default: ${DATABASE_ENV}, else SQLite under NEPNB_HOME/server)",
    )

    server = commands.add_parser(
        "server",
        parents=[database],
        help="run the tracking server for a team",
        description="Run the tracking server: the HTTP API that clients with an API token "
        "(NEPTUNE_API_TOKEN) log to. Migrates the database first. Several server processes "
        "may share one database and one blob store. Make the first admin and tokens with "
        "`nepnb admin`.",
    )
    server.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    server.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="port to listen on (default: %(default)s)"
    )
    server.add_argument(
        "--workers",
        type=_positive,
        default=1,
        metavar="N",
        help="server processes sharing the port (default: %(default)s; one per CPU core "
        "makes use of them all)",
    )
    server.add_argument(
        "--blobs",
        default=None,
        metavar="PATH|s3://BUCKET/PREFIX",
        help=f"where uploaded files go: a folder, or an S3-compatible bucket (credentials from "
        f"the AWS environment, endpoint from $NEPNB_S3_ENDPOINT_URL) "
        f"(default: ${BLOBS_ENV}, else NEPNB_HOME/server/blobs)",
    )
    server.add_argument(
        "--log-level",
        default="info",
        choices=["debug", "info", "warning"],
        help="how much the server logs (default: %(default)s)",
    )
    server.set_defaults(handler=run_server)

    admin = commands.add_parser(
        "admin",
        help="manage the tracking server's accounts, projects and tokens",
        description="Manage the tracking server's users, service accounts, workspaces, "
        "projects and API tokens, in its database; gc-blobs gives back the space of files "
        "no project holds.",
    )
    sub = admin.add_subparsers(dest="admin_command", metavar="COMMAND", required=True)
    url_help = f"the server's address as clients reach it (default: ${URL_ENV})"

    init = sub.add_parser("init", parents=[database], help="create the first admin and a token")
    init.add_argument("name", help="the admin's user name")
    init.add_argument("--url", default=None, help=url_help)
    init.set_defaults(handler=admin_init)

    user = sub.add_parser("user", help="users").add_subparsers(required=True, metavar="ACTION")
    add = user.add_parser("add", parents=[database], help="add a user")
    add.add_argument("name")
    add.add_argument("--admin", action="store_true", help="the user may do anything")
    add.add_argument("--workspace", action="append", default=[], help="member of (repeatable)")
    add.set_defaults(handler=admin_user_add)
    listing = user.add_parser("list", parents=[database], help="list accounts")
    listing.set_defaults(handler=admin_user_list)

    service = sub.add_parser("service-account", help="service accounts").add_subparsers(
        required=True, metavar="ACTION"
    )
    add = service.add_parser(
        "add", parents=[database], help="add a service account (reaches only assigned projects)"
    )
    add.add_argument("name")
    add.add_argument("--workspace", required=True)
    add.set_defaults(handler=admin_service_add)

    workspace = sub.add_parser("workspace", help="workspaces").add_subparsers(
        required=True, metavar="ACTION"
    )
    add = workspace.add_parser("add", parents=[database], help="add a workspace, or members")
    add.add_argument("name")
    add.add_argument("--member", action="append", default=[], help="a user name (repeatable)")
    add.set_defaults(handler=admin_workspace_add)

    project = sub.add_parser("project", help="projects").add_subparsers(
        required=True, metavar="ACTION"
    )
    add = project.add_parser("add", parents=[database], help="create a project")
    add.add_argument("name", help="workspace/project")
    add.add_argument("--visibility", default="private", choices=["private", "workspace", "public"])
    add.add_argument("--owner", action="append", default=[], help="an account (repeatable)")
    add.add_argument("--storage-limit", type=int, default=None, help="bytes (0: none)")
    add.add_argument("--key", default=None, help="its short key, e.g. CLS (default: from name)")
    add.set_defaults(handler=admin_project_add)
    change = project.add_parser("set", parents=[database], help="change visibility or limit")
    change.add_argument("name", help="workspace/project")
    change.add_argument("--visibility", choices=["private", "workspace", "public"])
    change.add_argument("--storage-limit", type=int, default=None, help="bytes (0: none)")
    change.set_defaults(handler=admin_project_set)
    grant = project.add_parser("grant", parents=[database], help="give an account a role")
    grant.add_argument("name", help="workspace/project")
    grant.add_argument("account")
    grant.add_argument("role", choices=["viewer", "contributor", "owner", "none"])
    grant.set_defaults(handler=admin_project_grant)

    token = sub.add_parser("token", help="API tokens").add_subparsers(
        required=True, metavar="ACTION"
    )
    create = token.add_parser("create", parents=[database], help="a new token for an account")
    create.add_argument("account")
    create.add_argument("--url", default=None, help=url_help)
    create.add_argument("--read-only", action="store_true", help="the token can only read")
    create.add_argument("--expires-in", type=float, default=None, metavar="DAYS")
    create.add_argument("--name", default="", help="what the token is for")
    create.set_defaults(handler=admin_token_create)
    listing = token.add_parser("list", parents=[database], help="list tokens (never secrets)")
    listing.set_defaults(handler=admin_token_list)
    revoke = token.add_parser("revoke", parents=[database], help="revoke a token at once")
    revoke.add_argument("id")
    revoke.set_defaults(handler=admin_token_revoke)
    rotate = token.add_parser("rotate", parents=[database], help="replace a token by a new one")
    rotate.add_argument("id")
    rotate.add_argument("--url", default=None, help=url_help)
    rotate.set_defaults(handler=admin_token_rotate)

    gc = sub.add_parser(
        "gc-blobs",
        parents=[database],
        help="remove the stored files and checkpoint parts no project holds",
        description="Give back the disk space of uploaded files and checkpoint parts that no "
        "project holds any more (deleting runs from the trash releases them; their bytes "
        "stay until this runs). Safe while servers run: files written in the last "
        "--older-than hours are kept (an upload may be in flight). Run it from cron, e.g. "
        "daily, with the server's --database and --blobs.",
    )
    gc.add_argument(
        "--blobs",
        default=None,
        metavar="PATH|s3://BUCKET/PREFIX",
        help=f"the server's blob store (default: ${BLOBS_ENV}, else NEPNB_HOME/server/blobs)",
    )
    gc.add_argument(
        "--older-than",
        type=_hours,
        default=24.0,
        metavar="HOURS",
        help="keep files written more recently than this (default: 24)",
    )
    gc.add_argument(
        "--dry-run", action="store_true", help="only say what would be removed; remove nothing"
    )
    gc.set_defaults(handler=admin_gc_blobs)


def _hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"give a number of hours, not {text!r}") from None
    if not value >= 0:  # (NaN too)
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text}")
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return value


def run_server(args: argparse.Namespace) -> int:
    import uvicorn

    from nepnb.server.app import create_app

    database, blobs = args.database or default_database(), args.blobs or default_blobs()
    # Made here even with workers: a bad database or bucket is one error, not one per
    # worker, and the schema is migrated once before they start.
    app = create_app(database, blobs)
    _check_port_free(args.host, args.port)
    options = {"host": args.host, "port": args.port, "log_level": args.log_level}
    workers = f", {args.workers} workers" if args.workers > 1 else ""
    print(f"nepnb server: listening on http://{args.host}:{args.port}{workers}", flush=True)
    if not app.state.identity.has_admin():
        where = "" if args.database is None else f" --database {args.database}"
        print(
            "nepnb server: no admin yet; make the first one (it prints their API token) with\n"
            f"  nepnb admin init NAME{where} --url http://HOST:{args.port}",
            flush=True,
        )
    if args.workers == 1:
        uvicorn.run(app, access_log=False, **options)
        return 0
    app.state.store.close()
    # Each worker process builds its app from the environment (uvicorn imports it by name).
    os.environ[DATABASE_ENV], os.environ[BLOBS_ENV] = database, str(blobs)
    uvicorn.run(
        "nepnb.cli.server:app_from_environment",
        factory=True,
        workers=args.workers,
        access_log=False,
        **options,
    )
    return 0


def _check_port_free(host: str, port: int) -> None:
    """A clear error now rather than uvicorn's log line after start-up."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise StoreError(
                f"cannot listen on {host}:{port} ({error.strerror}): another program (another "
                "nepnb server?) uses that port, or the address is not this machine's. Choose "
                "another with --port or --host."
            ) from None


def app_from_environment() -> Any:
    """The server app over ``$NEPNB_SERVER_DATABASE`` and ``$NEPNB_SERVER_BLOBS`` (the
    defaults when unset): what each worker of ``nepnb server --workers N`` serves."""
    from nepnb.server.app import create_app

    return create_app(default_database(), default_blobs())


def _identity(args: argparse.Namespace) -> Any:
    from nepnb.server.auth import Identity
    from nepnb.server.database import make_engine, migrate

    engine = make_engine(args.database or default_database())
    migrate(engine)
    return Identity(engine)


def _store(args: argparse.Namespace) -> Any:
    from nepnb.server.database import make_engine
    from nepnb.server.sql import SQLStore

    return SQLStore(make_engine(args.database or default_database()), default_blobs())


def _url(args: argparse.Namespace) -> str:
    from nepnb.exceptions import InvalidValue

    url = args.url or os.environ.get(URL_ENV)
    if not url:
        raise InvalidValue(
            f"give the server's address as clients reach it: --url http://HOST:{DEFAULT_PORT} "
            f"(or set ${URL_ENV}); the token carries it"
        )
    return url.rstrip("/")


def admin_init(args: argparse.Namespace) -> int:
    from nepnb.exceptions import Conflict

    identity = _identity(args)
    url = _url(args)
    if identity.has_admin():
        raise Conflict(
            "the server has an admin already; an admin can add more with `admin user add --admin`"
        )
    identity.create_account(args.name, admin=True)
    token_id, token = identity.issue_token(args.name, api_url=url, name="first admin token")
    print(f"Created the admin {args.name!r}. Their API token ({token_id}), shown only once:")
    print(token)
    return 0


def admin_user_add(args: argparse.Namespace) -> int:
    identity = _identity(args)
    identity.create_account(args.name, admin=args.admin)
    for workspace in args.workspace:
        identity.create_workspace(workspace, [args.name])
    print(f"Added the user {args.name!r}.")
    return 0


def admin_user_list(args: argparse.Namespace) -> int:
    for account in _identity(args).list_accounts():
        flags = " (admin)" if account["admin"] else ""
        where = f" in {account['workspace']}" if account["workspace"] else ""
        print(f"{account['name']:<24} {account['kind']}{where}{flags}")
    return 0


def admin_service_add(args: argparse.Namespace) -> int:
    _identity(args).create_account(args.name, kind="service", workspace=args.workspace)
    print(
        f"Added the service account {args.name!r}; assign it projects with `admin project grant`."
    )
    return 0


def admin_workspace_add(args: argparse.Namespace) -> int:
    _identity(args).create_workspace(args.name, args.member)
    print(f"Workspace {args.name!r} is ready.")
    return 0


def admin_project_add(args: argparse.Namespace) -> int:
    from nepnb.server.manage import create_project

    info = create_project(
        _store(args),
        _identity(args),
        args.name,
        key=args.key,
        visibility=args.visibility,
        owners=args.owner,
        storage_limit=args.storage_limit,
    )
    print(f"Created the project {info.name!r} (key {info.key}, {args.visibility}).")
    return 0


def admin_project_set(args: argparse.Namespace) -> int:
    _identity(args).set_project(
        args.name, visibility=args.visibility, storage_limit=args.storage_limit
    )
    print(f"Changed the project {args.name!r}.")
    return 0


def admin_project_grant(args: argparse.Namespace) -> int:
    role = None if args.role == "none" else args.role
    _identity(args).grant(args.name, args.account, role)
    print(f"{args.account}: {args.role} of {args.name}.")
    return 0


def admin_token_create(args: argparse.Namespace) -> int:
    days = args.expires_in
    token_id, token = _identity(args).issue_token(
        args.account,
        api_url=_url(args),
        read_only=args.read_only,
        expires_in=None if days is None else days * 86400,
        name=args.name,
    )
    print(f"API token {token_id} of {args.account} (shown only once; set NEPTUNE_API_TOKEN to it):")
    print(token)
    return 0


def admin_token_list(args: argparse.Namespace) -> int:
    import time

    for token in _identity(args).list_tokens():
        state = "revoked" if token.revoked else "active"
        if token.expires and not token.revoked:
            state = (
                "expired"
                if token.expires < time.time()
                else "active until " + time.strftime("%Y-%m-%d", time.localtime(token.expires))
            )
        mode = "read-only" if token.read_only else "read-write"
        print(f"{token.id}  {token.account:<20} {mode:<10} {state:<24} {token.name}")
    return 0


def admin_token_revoke(args: argparse.Namespace) -> int:
    _identity(args).revoke_token(args.id)
    print(f"Revoked the token {args.id}.")
    return 0


def admin_token_rotate(args: argparse.Namespace) -> int:
    token_id, token = _identity(args).rotate_token(args.id, api_url=_url(args))
    print(f"Revoked {args.id}; its replacement {token_id} (shown only once):")
    print(token)
    return 0


def admin_gc_blobs(args: argparse.Namespace) -> int:
    import sys

    from sqlalchemy import inspect, select

    from nepnb.server import tables
    from nepnb.server.database import make_engine
    from nepnb.server.gc import collect_garbage
    from nepnb.server.sql import SQLStore
    from nepnb.sizes import human_size

    engine = make_engine(args.database or default_database())
    where = engine.url.render_as_string(hide_password=True)
    # A wrong --database would hold nothing, and every file would look like garbage.
    if not inspect(engine).has_table("blob_projects"):
        raise StoreError(
            f"{where} is not a tracking server's database (or an older one: start "
            "the server on it once); give the server's --database"
        )
    with engine.connect() as con:
        if con.execute(select(tables.projects.c.id).limit(1)).first() is None:
            raise StoreError(f"the database {where} has no projects; give the server's --database")
    store = SQLStore(engine, args.blobs or default_blobs())
    progressing = sys.stderr.isatty()

    def progress(listed: int) -> None:
        if progressing:
            print(f"\rlisted {listed:,} files…", end="", file=sys.stderr, flush=True)

    try:
        report = collect_garbage(
            store, older_than=args.older_than * 3600, dry_run=args.dry_run, progress=progress
        )
    finally:
        if progressing:
            print("\r\033[K", end="", file=sys.stderr, flush=True)
        store.close()
    verb = "Would free" if report.dry_run else "Freed"
    print(
        f"{verb} {human_size(report.total_bytes)}: {_count(report.files, 'file')} "
        f"({human_size(report.file_bytes)}) no project holds, written more than "
        f"{args.older_than:g} hours ago, and {_count(report.parts, 'checkpoint part')} "
        f"({human_size(report.part_bytes)})."
    )
    return 0


def _count(n: int, what: str) -> str:
    return f"{n:,} {what}" + ("" if n == 1 else "s")
