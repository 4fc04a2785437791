"""Entry point of the ``nepnb`` command."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from nepnb import __version__
from nepnb.config import default_home
from nepnb.exceptions import MissingRequirement, NepnbError

DESCRIPTION = """\
nepnb: a self-hosted, notebook-first experiment tracker that speaks the Neptune 1.x API.

Use it from Python with `import nepnb as neptune`, in a notebook with
`%load_ext nepnb` and `%neptune init_run`, and from here for the rest.
"""


#: The modules of nepnb's optional parts, by the extra that installs them (pyproject.toml's
#: ``[project.optional-dependencies]``; a test checks that the two agree).
EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "server": ("fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic", "psycopg", "boto3"),
}


def missing_extra(error: ImportError, command: str) -> MissingRequirement | None:
    """``error`` as a one-line MissingRequirement naming the extra to install, when the
    module it misses is one of an optional part's; None for any other import error."""
    module = (error.name or "").split(".")[0]
    for extra, modules in EXTRA_MODULES.items():
        if module in modules:
            return MissingRequirement(
                f"`nepnb {command}`",
                f"nepnb[{extra}]",
                f"`nepnb {command}` needs {module}, which is not installed here; install "
                f'nepnb\'s {extra} part with: pip install "nepnb[{extra}]"',
            )
    return None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``nepnb`` command and its sub-commands."""
    parser = argparse.ArgumentParser(
        prog="nepnb",
        description=DESCRIPTION,
        epilog=f"Local store: {default_home()} (set NEPNB_HOME to move it).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"nepnb {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    from nepnb.cli import alias, checkpoint, import_neptune, queue, server, trash

    queue.add_commands(commands)
    checkpoint.add_commands(commands)
    import_neptune.add_commands(commands)
    server.add_commands(commands)
    trash.add_commands(commands)
    alias.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``nepnb`` command; returns the exit code."""
    from nepnb.cli.imports import defer_slow_imports

    defer_slow_imports()
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        code = int(handler(args) or 0)
        sys.stdout.flush()  # what is still buffered fails here, not at exit
        return code
    except BrokenPipeError:
        # The reader went away (`nepnb checkpoint diff … | head`): not an error. Output
        # still buffered would fail again at exit, so it goes nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except NepnbError as error:
        print(f"nepnb: error: {error}", file=sys.stderr)
        return 1
    except ImportError as error:  # an optional part not installed: say which, no traceback
        missing = missing_extra(error, args.command)
        if missing is None:
            raise
        print(f"nepnb: error: {missing}", file=sys.stderr)
        return 1
    except OSError as error:  # a file that cannot be read or written: say which, no traceback
        where = f": {error.filename}" if error.filename else ""
        print(f"nepnb: error: {error.strerror or error}{where}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("nepnb: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
