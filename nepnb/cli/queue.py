"""``nepnb status``, ``nepnb sync`` and ``nepnb clear``: data queued on disk."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from nepnb.cli.output import ProgressLine
from nepnb.client.config import DATA_DIRECTORY_ENV, default_data_dir, default_store
from nepnb.exceptions import NepnbError
from nepnb.sizes import human_size

if TYPE_CHECKING:  # the client is imported by the commands that use it, not by every command
    from nepnb.client.sync import QueuedObject


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    path_help = f"folder of queued data (default: ${DATA_DIRECTORY_ENV}, else <NEPNB_HOME>/queue)"

    status = commands.add_parser(
        "status",
        help="list offline and unsynced runs waiting on disk",
        description="List the runs and objects whose data waits on disk: offline runs, and async "
        "data a process left behind when it was killed. Needs no token.",
    )
    status.add_argument("--path", type=Path, default=None, help=path_help)
    status.set_defaults(handler=run_status)

    sync = commands.add_parser(
        "sync",
        help="upload queued data to the store",
        description="Upload offline runs and unsynced async data to the store. Safe to run while "
        "a run is still being written, and more than once: nothing is stored twice. A damaged "
        "run is skipped with a message and the others go on.",
    )
    sync.add_argument("--path", type=Path, default=None, help=path_help)
    sync.add_argument(
        "-p", "--project", help="workspace/project for offline runs (default: the run's own)"
    )
    sync.add_argument(
        "--object",
        action="append",
        default=None,
        metavar="NAME",
        help="only this object (as `nepnb status` names it); repeatable",
    )
    sync.add_argument("--offline-only", action="store_true", help="only offline runs")
    sync.set_defaults(handler=run_sync)

    clear = commands.add_parser(
        "clear",
        help="delete queued data that was not uploaded",
        description="Delete offline runs and unsynced async data from disk, after asking.",
    )
    clear.add_argument("--path", type=Path, default=None, help=path_help)
    clear.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    clear.set_defaults(handler=run_clear)


def _queues(args: argparse.Namespace) -> tuple[Path, list[QueuedObject]]:
    from nepnb.client.sync import find_queues

    data_dir = (args.path or default_data_dir()).expanduser().resolve()
    found, broken = find_queues(data_dir)
    for folder, reason in broken:
        print(f"nepnb: skipping {folder}: {reason}", file=sys.stderr)
    return data_dir, found


def _describe(item: QueuedObject) -> str:
    created = time.strftime("%Y-%m-%d %H:%M", time.localtime(item.meta.get("created_at", 0)))
    state = ", still being written" if item.writer_alive else ""
    batches = f"{item.batches} batch{'es' if item.batches != 1 else ''}"
    return (
        f"  {item.name:<28} {item.project or '?':<24} {batches}, {human_size(item.size)}, "
        f"created {created}{state}"
    )


def run_status(args: argparse.Namespace) -> int:
    data_dir, found = _queues(args)
    if not found:
        print(f"Nothing to sync in {data_dir}.")
        return 0
    for mode, title in (
        ("offline", "Offline runs, not uploaded yet"),
        ("async", "Async data not uploaded (its process ended or is still running)"),
    ):
        items = [item for item in found if item.mode == mode]
        if items:
            print(f"{title}:")
            for item in items:
                print(_describe(item))
    print(f"\nUpload with `nepnb sync`; delete with `nepnb clear`. ({data_dir})")
    return 0


def run_sync(args: argparse.Namespace) -> int:
    data_dir, found = _queues(args)
    if args.offline_only:
        found = [item for item in found if item.mode == "offline"]
    if args.object:
        wanted = set(args.object)
        found = [
            item
            for item in found
            if item.name in wanted or item.folder.name in wanted or str(item.folder) in wanted
        ]
        missing = wanted - {i.name for i in found} - {i.folder.name for i in found}
        if missing and not found:
            raise NepnbError(
                f"nothing queued named {', '.join(sorted(missing))}; `nepnb status` lists names"
            )
    if not found:
        print(f"Nothing to sync in {data_dir}.")
        return 0
    store = default_store()  # the tracking server of NEPTUNE_API_TOKEN, else the local store
    from nepnb.client.sync import sync_queue

    failures = 0
    for item in found:
        progress = ProgressLine(f"Syncing {item.name}")
        try:
            result = sync_queue(item, store, project=args.project, progress=progress.update)
        except NepnbError as error:
            progress.done("skipped")
            print(f"nepnb: {error}", file=sys.stderr)
            failures += 1
            continue
        note = "" if result.removed else " (its process is still writing; sync again later)"
        progress.done(f"{result.batches} batch(es) uploaded as {result.name}{note}")
        for rejected in result.rejected:
            print(f"  not stored: {rejected.path}: {rejected.reason}", file=sys.stderr)
    if failures:
        print(f"{failures} object(s) could not be synced; see above.", file=sys.stderr)
        return 1
    return 0


def run_clear(args: argparse.Namespace) -> int:
    data_dir, found = _queues(args)
    found = [item for item in found if not item.writer_alive]
    if not found:
        print(f"Nothing to clear in {data_dir}.")
        return 0
    print("This deletes data that was never uploaded:")
    for item in found:
        print(_describe(item))
    if not args.yes:
        if not sys.stdin.isatty():
            raise NepnbError("not deleting without confirmation; pass --yes to delete")
        answer = input("Delete it? [y/N]: ").strip().lower()
        if answer not in ("y", "yes"):
            print("Nothing deleted.")
            return 0
    from nepnb.client.sync import remove_queue

    for item in found:
        remove_queue(item)
        print(f"Deleted {item.name} ({item.folder})")
    return 0
