"""``nepnb checkpoint upload|list|diff|restore``: notebook checkpoints without a browser."""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from nepnb.client.config import DEFAULT_PROJECT, PROJECT_ENV
from nepnb.exceptions import NepnbError, NotebookError
from nepnb.notebooks import (
    Checkpoints,
    CompareOptions,
    default_author,
    free_path,
    other_file_holds_id,
    read_notebook,
    restored_name,
    split_message,
)
from nepnb.notebooks.checkpoints import METADATA_KEY
from nepnb.notebooks.format import (
    id_refusal_of_file,
    notebook_json,
    write_new_file,
    write_notebook_id,
)
from nepnb.notebooks.render import render_diff


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    checkpoint = commands.add_parser(
        "checkpoint",
        help="upload, list, compare and restore notebook checkpoints",
        description="Notebook checkpoints from the command line (papermill, CI, a terminal).",
    )
    actions = checkpoint.add_subparsers(dest="action", metavar="ACTION", required=True)

    def common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--project",
            default=None,
            help=f"workspace/project (default: ${PROJECT_ENV}, else {DEFAULT_PROJECT})",
        )

    upload = actions.add_parser(
        "upload",
        help="store a checkpoint of a notebook",
        description="Store a checkpoint of NOTEBOOK as it is on disk (save it first). The first "
        "checkpoint writes a notebook id into the notebook's metadata.",
    )
    upload.add_argument("notebook", type=Path, metavar="NOTEBOOK")
    upload.add_argument(
        "-m", "--message", required=True, help="summary line (and body after a blank line)"
    )
    upload.add_argument("--body", default=None, help="longer description, after the summary")
    upload.add_argument(
        "--run", action="append", default=[], metavar="ID", help="link a run; repeatable"
    )
    upload.add_argument("--author", default=None, help="default: git user.name, else your login")
    upload.add_argument(
        "--new-id", action="store_true", help="a copied notebook: start its own history"
    )
    upload.add_argument(
        "--same-history", action="store_true", help="a moved notebook: continue the history"
    )
    common(upload)
    upload.set_defaults(handler=run_upload)

    listing = actions.add_parser("list", help="list a notebook's checkpoints, newest first")
    listing.add_argument("notebook", type=Path, metavar="NOTEBOOK")
    listing.add_argument("--json", action="store_true", help="print JSON")
    common(listing)
    listing.set_defaults(handler=run_list)

    diff = actions.add_parser(
        "diff",
        help="compare two checkpoints, or a checkpoint and the notebook on disk",
        description="Compare checkpoint A with checkpoint B, or with NOTEBOOK as it is on disk "
        "when B is left out. Ids may be shortened to 4 or more characters.",
    )
    diff.add_argument("notebook", type=Path, metavar="NOTEBOOK")
    diff.add_argument("a", metavar="A")
    diff.add_argument("b", nargs="?", default=None, metavar="B")
    diff.add_argument("--no-outputs", action="store_true", help="compare sources and metadata only")
    diff.add_argument(
        "--context", type=int, default=3, help="unchanged lines kept around output changes"
    )
    diff.add_argument("--all", action="store_true", help="also list unchanged cells")
    diff.add_argument("--color", choices=("auto", "always", "never"), default="auto")
    diff.add_argument("--json", action="store_true", help="print the comparison as JSON")
    diff.add_argument(
        "--exit-code",
        action="store_true",
        help="exit with 1 when the versions differ (as `git diff --exit-code`), for scripts and CI",
    )
    common(diff)
    diff.set_defaults(handler=run_diff)

    restore = actions.add_parser(
        "restore",
        help="write a checkpoint to a new notebook file",
        description="Write checkpoint ID to a new file next to NOTEBOOK (never over an existing "
        "file), or to --to PATH.",
    )
    restore.add_argument("notebook", type=Path, metavar="NOTEBOOK")
    restore.add_argument("id", metavar="ID")
    restore.add_argument("--to", type=Path, default=None, metavar="PATH", help="where to write it")
    common(restore)
    restore.set_defaults(handler=run_restore)


def _checkpoints(args: argparse.Namespace) -> Checkpoints:
    from nepnb.client.config import default_store
    from nepnb.store.base import validate_project_name

    project = args.project or os.environ.get(PROJECT_ENV) or DEFAULT_PROJECT
    validate_project_name(project)
    return Checkpoints(default_store(), project)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (other `nepnb checkpoint upload`s of it wait)."""
    with open(path, "rb") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_upload(args: argparse.Namespace) -> int:
    checkpoints = _checkpoints(args)
    notebook_path = args.notebook.expanduser().resolve()
    if notebook_path.suffix != ".ipynb":
        raise NotebookError(f"{args.notebook} is not a notebook (.ipynb) file")
    split_message(args.message, args.body)  # a bad message fails before the file is touched
    if not notebook_path.is_file():
        read_notebook(notebook_path)  # raises the error that says what is wrong
    with _locked(notebook_path):  # two first uploads at once must not make two histories
        identity = checkpoints.identify(
            read_notebook(notebook_path),
            path=str(notebook_path),
            file_check=other_file_holds_id(notebook_path),
            new_id=args.new_id,
            same_history=args.same_history,
        )
        # The id is written into the file unless it is read-only or in an older format: then
        # the checkpoint is stored without it, and the file's history goes on by its path.
        refusal = id_refusal_of_file(notebook_path) if identity.assigned else None
        id_given = identity.assigned and refusal is None
        if id_given:  # written first: if that fails, nothing is stored
            write_notebook_id(notebook_path, identity.notebook_id, METADATA_KEY)
        upload = checkpoints.upload(
            identity.notebook,
            path=str(notebook_path),
            message=args.message,
            body=args.body,
            author=args.author or default_author(),
            runs=args.run,
            identity=identity,
        )
    info = upload.checkpoint
    stats = info.stats
    print(
        f"Checkpoint {info.id} of {args.notebook}: {info.summary}\n"
        f"  {stats.get('cells', 0)} cells, {upload.new_parts} new part(s) stored"
        + (f"; follows {info.parent_id}" if info.parent_id else "; the first checkpoint")
        + (f"\n  linked runs: {', '.join(info.runs)}" if info.runs else "")
        + (f"\n  notebook id {upload.notebook_id} written to {args.notebook}" if id_given else "")
        + (
            f"\n  notebook id not written to {args.notebook}: {refusal}; its later checkpoints "
            "continue this history by its path"
            if refusal
            else ""
        )
        + (
            "\n  the file had no notebook id (git checkout, nbstripout…): the history kept at "
            "this path goes on"
            if identity.reason == "path"
            else ""
        )
    )
    return 0


def run_list(args: argparse.Namespace) -> int:
    checkpoints = _checkpoints(args)
    path = args.notebook.expanduser().resolve()
    if path.exists():
        found = checkpoints.history_id(read_notebook(path), str(path))
        history = checkpoints.history(found) if found else []
    else:  # deleted or moved: its history is still in the store, under its last path
        known = checkpoints.notebook_at(str(path))
        if known is None:
            raise NotebookError(
                f"no notebook at {args.notebook}: the file does not exist, and no checkpoints "
                "were taken at that path"
            )
        history = checkpoints.history(known.notebook_id)
    if args.json:
        print(json.dumps([c.to_json() for c in history], indent=1))
        return 0
    if not history:
        print(f"No checkpoints of {args.notebook} yet (`nepnb checkpoint upload` makes one).")
        return 0
    for c in history:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(c.created))
        runs = f"  [{', '.join(c.runs)}]" if c.runs else ""
        print(f"{c.id[:12]}  {when}  {c.author:<16.16}  {c.summary}{runs}")
    return 0


def run_diff(args: argparse.Namespace) -> int:
    checkpoints = _checkpoints(args)
    options = CompareOptions(outputs=not args.no_outputs, context=max(args.context, 0))
    if args.b is None:
        current = read_notebook(args.notebook)
        diff = checkpoints.compare(args.a, current, options)
    else:
        diff = checkpoints.compare(args.a, args.b, options)
    if args.json:
        print(json.dumps(diff.to_json(), indent=1))
    else:
        color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
        sys.stdout.write(render_diff(diff, color=color, show_unchanged=args.all))
    return 1 if args.exit_code and not diff.identical else 0


def run_restore(args: argparse.Namespace) -> int:
    checkpoints = _checkpoints(args)
    info = checkpoints.get(args.id)
    notebook = checkpoints.restored_copy(info)
    if args.to is not None:
        target = args.to.expanduser()
        if target.suffix != ".ipynb":
            raise NepnbError(f"--to {target} must be a .ipynb file")
    else:
        target = free_path(Path(restored_name(str(args.notebook), info.id)))
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        write_new_file(target, notebook_json(notebook))
    except FileExistsError:
        raise NepnbError(
            f"{target} exists; nepnb never overwrites it. Choose another --to path."
        ) from None
    print(f"Restored checkpoint {info.id[:12]} ({info.summary}) to {target}")
    return 0
