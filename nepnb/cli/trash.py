"""``nepnb trash``: list, trash, restore and delete a project's runs and models (a thin layer
over nepnb.management, against the store NEPTUNE_API_TOKEN names, else the local store)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from nepnb.exceptions import NepnbError
from nepnb.sizes import human_size

DESCRIPTION = """\
Move runs, models and model versions of a project to its trash, take them out again, or
delete them for good. Objects are named by their id (CLS-12).

Trashed objects are hidden from fetch_runs_table() and the like (unless trashed=True), but
keep their data and still count toward the project's storage limit on a tracking server
until they are deleted from the trash ("delete" or "clear", which ask first unless --yes).

Works with the tracking server of $NEPTUNE_API_TOKEN, else with the local store. On a
server, trashing and restoring need the contributor role, deleting the owner role.
"""

ACTIONS = {
    "list": "list the objects in the trash, with what deleting each gives back",
    "add": "move objects to the trash",
    "restore": "take objects out of the trash",
    "delete": "delete objects in the trash for good (asks first)",
    "clear": "delete everything in the trash for good (asks first)",
}


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    trash = commands.add_parser(
        "trash",
        help="list, trash, restore and delete runs and models of a project",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    project = argparse.ArgumentParser(add_help=False)
    project.add_argument(
        "-p", "--project", default=None, help="workspace/project (default: $NEPTUNE_PROJECT)"
    )
    sub = trash.add_subparsers(dest="trash_command", metavar="ACTION", required=True)
    for action, summary in ACTIONS.items():
        parser = sub.add_parser(action, parents=[project], help=summary, description=summary)
        if action in ("add", "restore", "delete"):
            parser.add_argument("ids", nargs="+", metavar="ID", help="object ids, e.g. CLS-12")
        if action in ("delete", "clear"):
            parser.add_argument("-y", "--yes", action="store_true", help="do not ask first")
        parser.set_defaults(handler=globals()[f"trash_{action}"])


def _project(args: argparse.Namespace) -> str:
    from nepnb.management import project_name

    return project_name(args.project)


def _line(item: dict[str, Any]) -> str:
    name = item["name"] or ""
    size = item["size"] if item.get("frees") is None else item["frees"]
    return f"  {item['id']:<16} {item['kind']:<14} {human_size(size):>9}  {name}"


def _trash(args: argparse.Namespace) -> tuple[str, list[dict[str, Any]]]:
    """The project and what its trash holds (saying so when it is empty)."""
    from nepnb import management

    project = _project(args)
    listed = management.get_trash_list(project)
    if not listed:
        print(f"The trash of {project} is empty.")
    return project, listed


def trash_list(args: argparse.Namespace) -> int:
    from nepnb import management

    project, listed = _trash(args)
    if not listed:
        return 0
    for item in listed:
        print(_line(item))
    freed = management.get_trash_usage(project)
    if freed is None:  # the local store: no storage limit
        total = human_size(sum(item["size"] for item in listed))
        print(f"{len(listed)} object(s) in the trash of {project}, {total}.")
        return 0
    print(
        f"{len(listed)} object(s) in the trash of {project}; they count toward the project's "
        f"storage limit until deleted (`nepnb trash delete` or `clear`). Each size is what "
        f"deleting that object gives back; deleting them all gives back {human_size(freed)} "
        "(a file several of them name comes back with the last)."
    )
    return 0


def trash_add(args: argparse.Namespace) -> int:
    from nepnb import management

    project = _project(args)
    management.trash_objects(project, args.ids)
    print(f"Moved {', '.join(i.upper() for i in args.ids)} to the trash of {project}.")
    return 0


def trash_restore(args: argparse.Namespace) -> int:
    from nepnb import management

    project = _project(args)
    management.restore_objects_from_trash(project, args.ids)
    print(f"Restored {', '.join(i.upper() for i in args.ids)} from the trash of {project}.")
    return 0


def _confirm(args: argparse.Namespace, project: str, items: list[dict[str, Any]]) -> bool:
    """Whether to delete ``items`` for good: --yes, else the user's answer."""
    print(f"This deletes from the trash of {project}, for good:")
    for item in items:
        print(_line(item))
    if args.yes:
        return True
    if not sys.stdin.isatty():
        raise NepnbError("not deleting without confirmation; pass --yes to delete")
    if input("Delete them? [y/N]: ").strip().lower() in ("y", "yes"):
        return True
    print("Nothing deleted.")
    return False


def trash_delete(args: argparse.Namespace) -> int:
    from nepnb import management

    project = _project(args)
    listed = {item["id"]: item for item in management.get_trash_list(project)}
    wanted = list(dict.fromkeys(i.strip().upper() for i in args.ids))
    # Ids not in the trash: management refuses them below (nothing deleted), without asking.
    if all(i in listed for i in wanted) and not _confirm(
        args, project, [listed[i] for i in wanted]
    ):
        return 0
    management.delete_objects_from_trash(project, wanted)
    print(f"Deleted {', '.join(wanted)}.")
    return 0


def trash_clear(args: argparse.Namespace) -> int:
    from nepnb import management

    project, listed = _trash(args)
    if not listed or not _confirm(args, project, listed):
        return 0
    management.clear_trash(project)
    print(f"Deleted {len(listed)} object(s); the trash of {project} is empty.")
    return 0
