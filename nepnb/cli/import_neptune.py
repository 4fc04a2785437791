"""``nepnb import-neptune``: import the Neptune client's local data (thin over nepnb.importers)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from nepnb.cli.output import ProgressLine
from nepnb.client.config import (
    API_TOKEN_ENV,
    DEFAULT_PROJECT,
    PROJECT_ENV,
    http_store,
    local_store,
    server_of_token,
)
from nepnb.importers.neptune_folder import DATA_DIRECTORY_ENV
from nepnb.store.base import validate_project_name

if TYPE_CHECKING:  # the importer (and the client) only for this command
    from nepnb.importers.neptune import ContainerResult, ImportSummary


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = commands.add_parser(
        "import-neptune",
        help="import the Neptune client's offline and unsynced runs (.neptune/)",
        description="Import the offline runs and the unsynced async data that the Neptune client "
        "1.x left in a .neptune folder: runs, models, model versions and project metadata "
        "become nepnb objects. Of async data only the operations Neptune's server never "
        "acknowledged are in the folder, so only those are imported. Safe to run again: "
        "nothing is stored twice.",
    )
    parser.add_argument(
        "path",
        nargs="?",
        type=Path,
        default=None,
        help=f"a .neptune folder or a folder holding one (default: ${DATA_DIRECTORY_ENV}, "
        "else ./.neptune)",
    )
    parser.add_argument(
        "-p",
        "--project",
        help=f"workspace/project to import into (default: ${PROJECT_ENV}, else "
        f"{DEFAULT_PROJECT}); Neptune's local data does not record its project",
    )
    parser.add_argument(
        "--api-token",
        help=f"a tracking server's API token (default: ${API_TOKEN_ENV}): import into that "
        "server's project, which must exist; without a token, into the local store",
    )
    parser.set_defaults(handler=run_import)


def run_import(args: argparse.Namespace) -> int:
    from nepnb.importers.neptune import import_neptune

    project = args.project or os.environ.get(PROJECT_ENV) or DEFAULT_PROJECT
    validate_project_name(project)
    server = server_of_token(args.api_token or os.environ.get(API_TOKEN_ENV))
    store = local_store() if server is None else http_store(server)
    progress = ProgressLine("Importing")
    summary = import_neptune(args.path, store, project, progress=progress.update)
    progress.done(f"{summary.data_dir} into {project} ({_where(store.kind, store.location)})")
    for result in summary.results:
        print(_describe(result))
        for warning in result.warnings:
            print(f"    warning: {warning}", file=sys.stderr)
    for folder, reason in summary.broken:
        print(f"nepnb: not imported: {folder}: {reason}", file=sys.stderr)
    print(_totals(summary))
    return 1 if summary.broken else 0


def _where(kind: str, location: str) -> str:
    return f"the tracking server {location}" if kind == "http" else f"the local store {location}"


def _describe(result: ContainerResult) -> str:
    container = result.container
    what = f"  {container.mode} {container.kind} {container.container_id}"
    if container.mode == "async":
        what += f" ({result.acknowledged} operation(s) already on Neptune's server, not here)"
    if result.sys_id is None:
        return f"{what}: nothing new to import"
    if result.batches == 0 and result.already:
        return f"{what}: already imported as {result.sys_id}"
    counts = result.counts
    return (
        f"{what} -> {result.sys_id}: {result.operations} operation(s), {len(counts.fields)} "
        f"field(s), {counts.points} point(s), {counts.files} file(s)"
    )


def _totals(summary: ImportSummary) -> str:
    return (
        f"Imported {summary.objects} object(s): {summary.fields} field(s), {summary.points} "
        f"point(s), {summary.files} file(s); {summary.warnings} warning(s)"
        + (f"; {summary.already} imported before, unchanged" if summary.already else "")
        + (f"; {len(summary.broken)} folder(s) not imported" if summary.broken else "")
    )
