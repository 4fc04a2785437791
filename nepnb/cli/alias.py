"""``nepnb alias enable|disable|status``: the ``neptune`` alias of this environment (a thin
layer over nepnb.alias)."""

from __future__ import annotations

import argparse
import importlib.util
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nepnb.alias import AliasStatus

DESCRIPTION = """\
Turn the `neptune` alias on or off in this Python environment (the one nepnb runs in).

With the alias on, `import neptune` gives nepnb: code and packages written for the Neptune
client (neptune-optuna, neptune-sklearn, transformers' NeptuneCallback, Lightning's
NeptuneLogger …) run unchanged and log to nepnb. The alias is one file in the environment's
site-packages, read at Python's start-up; `disable` removes it. Nothing named `neptune` is
installed, so pip never sees one.

Where the real Neptune client (neptune or neptune-client) is installed, it wins, with a
warning, unless the alias is enabled with --force. In a notebook where nothing can be
installed, call nepnb.alias_neptune() before `import neptune`.
"""

ACTIONS = {
    "enable": "turn the alias on: `import neptune` gives nepnb",
    "disable": "turn the alias off (removes what enable wrote)",
    "status": "say whether the alias is on and what `import neptune` gives",
}


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    alias = commands.add_parser(
        "alias",
        help="make `import neptune` give nepnb in this environment (on, off, status)",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = alias.add_subparsers(dest="alias_command", metavar="ACTION", required=True)
    for action, summary in ACTIONS.items():
        parser = sub.add_parser(action, help=summary, description=summary)
        if action == "enable":
            parser.add_argument(
                "--force",
                action="store_true",
                help="give nepnb even where the real Neptune client is installed",
            )
        parser.set_defaults(handler=globals()[f"alias_{action}"])


def alias_enable(args: argparse.Namespace) -> int:
    from nepnb.alias import enable
    from nepnb.exceptions import PermissionDenied

    try:
        state = enable(force=args.force)
    except PermissionError as error:
        raise PermissionDenied(
            f"cannot write {error.filename}: this environment's site-packages is not writable "
            "by you. Run the command as the environment's owner, or call "
            "nepnb.alias_neptune() in your code before `import neptune`."
        ) from None
    print(f"nepnb: the neptune alias is on in {_environment()}: {state.hook}")
    _print_outcome(state)
    if state.active and importlib.util.find_spec("transformers") is not None:
        print(
            "note: transformers' Trainer reports to every installed tracker unless told "
            "otherwise (report_to), so every Trainer run now logs to nepnb; pass "
            'report_to="none" (or a list without "neptune") where that is not wanted.'
        )
    print("Turn it off with: nepnb alias disable")
    return 0


def alias_disable(args: argparse.Namespace) -> int:
    from nepnb.alias import disable, status

    removed = disable()
    where = _environment()
    if removed:
        print(f"nepnb: the neptune alias is off in {where} (removed {status().hook})")
    else:
        print(f"nepnb: the neptune alias was not on in {where}; nothing to remove")
    _print_outcome(status())
    return 0


def alias_status(args: argparse.Namespace) -> int:
    from nepnb.alias import status

    state = status()
    print(f"alias: {'on' if state.enabled else 'off'}{' (forced)' if state.forced else ''}")
    print(f"environment: {_environment()}")
    print(f"hook: {state.hook}{'' if state.enabled else ' (not there)'}")
    _print_outcome(state)
    return 0


def _print_outcome(state: AliasStatus) -> None:
    """What ``import neptune`` gives in a new process of this environment."""
    from nepnb import __version__
    from nepnb.version import __version__ as neptune_version

    if state.active:
        gives = f"nepnb {__version__} (as neptune {neptune_version})"
    elif state.real_client is not None:
        gives = f"the real Neptune client ({state.real_client})"
    else:
        gives = "an error (No module named 'neptune')"
    print(f"import neptune: {gives}")
    if state.enabled and not state.active and state.real_client is not None:
        print(
            "  the real client wins while it is installed: uninstall it "
            "(pip uninstall neptune neptune-client), or run: nepnb alias enable --force"
        )


def _environment() -> str:
    from nepnb.alias.install import environment

    return environment()
