"""``import nepnb as neptune`` runs Neptune code unchanged: the scenario the real Neptune 1.14
client ran gives nepnb the same structure, values and errors; nepnb has every public name of
Neptune's objects, handler and field types but the few MIGRATING.md lists and justifies."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import nepnb
from nepnb.client.handler import Handler
from nepnb.store.local import LocalStore
from tests.helpers import REPO_ROOT
from tests.helpers.importer_checks import check_scenario, user_fields
from tests.helpers.neptune_client import SCRIPTS, NeptuneData, clean_env, run_scenario

#: The first test to ask for the Neptune client may create its venv (pip, about a minute).
pytestmark = pytest.mark.timeout(900)


#: Public names of the Neptune client that nepnb does not have, each justified in
#: MIGRATING.md ("Names nepnb leaves out"): internals of Neptune's own machinery.
NOT_IN_NEPNB = {
    "LEGACY_METHODS": "objects",
    "lock": "objects",
    "start": "objects",
    "set_attribute": "objects",
    "copy": "field types",
    "supports_copy": "field types",
    "process_assignment": "field types",
    "create_assignment_operation": "field types",
    "getter": "field types",
    "max_batch_size": "field types",
    "operation_cls": "field types",
    "MAX_VALUE_LENGTH": "field types",
}
#: Misuses where nepnb raises another builtin class than Neptune did (MIGRATING.md says why).
OTHER_ERRORS = {"empty_path": ("AttributeError", "ValueError")}
BUILTINS = {"TypeError", "ValueError", "KeyError", "AttributeError", "LookupError"}


@pytest.fixture(scope="module")
def nepnb_scenario(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """The scenario run by nepnb (async, its default mode) in a process of its own."""
    workdir = tmp_path_factory.mktemp("nepnb-scenario")
    run_scenario(Path(sys.executable), "nepnb", "async", workdir)
    return json.loads((workdir / "result.json").read_text()), workdir / "nepnb-home"


def test_same_structure(offline_data: NeptuneData, nepnb_scenario: tuple[dict, Path]) -> None:
    ours, _ = nepnb_scenario
    assert user_fields(ours["structure"]) == user_fields(offline_data.result["structure"])


def test_same_values(nepnb_scenario: tuple[dict, Path], tmp_path: Path) -> None:
    ours, home = nepnb_scenario
    store = LocalStore(home)
    try:
        [info] = store.list_objects("workspace/scenario", nepnb.store.base.ObjectKind.RUN)
    finally:
        store.close()
    import os

    os.environ["NEPNB_HOME"] = str(home)
    try:
        run = nepnb.init_run(project="workspace/scenario", with_id=info.sys_id, mode="read-only")
        check_scenario(run, tmp_path, ours["images"])
    finally:
        del os.environ["NEPNB_HOME"]


def _builtin(mro: list[str]) -> str:
    return next(name for name in mro if name in BUILTINS)


def test_same_errors(offline_data: NeptuneData, nepnb_scenario: tuple[dict, Path]) -> None:
    ours, _ = nepnb_scenario
    theirs = offline_data.result["errors"]
    assert set(ours["errors"]) == set(theirs)
    for case, raised in theirs.items():
        mine = ours["errors"][case]
        if raised is None:
            assert mine is None, f"{case}: Neptune accepted it, nepnb raised {mine[0]}"
            continue
        assert mine is not None, f"{case}: Neptune raised {raised[0]}, nepnb did not"
        expected = _builtin(raised)
        if case in OTHER_ERRORS:
            assert (expected, _builtin(mine)) == OTHER_ERRORS[case]
        else:
            assert expected in mine, f"{case}: Neptune raised a {expected}; nepnb: {mine}"


@pytest.fixture(scope="module")
def neptune_names(neptune_python: Path) -> dict[str, list[str]]:
    proc = subprocess.run(
        [str(neptune_python), str(SCRIPTS / "public_names.py")],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=120,
        check=True,
    )
    return json.loads(proc.stdout)


def _nepnb_class(name: str) -> type:
    objects = {
        "Run": nepnb.Run,
        "Project": nepnb.Project,
        "Model": nepnb.Model,
        "ModelVersion": nepnb.ModelVersion,
    }
    return objects.get(name, Handler)  # run["path"] is one Handler whatever the field type


def test_every_public_name(neptune_names: dict[str, list[str]]) -> None:
    assert {"Run", "Handler", "Project", "Model", "ModelVersion", "FloatSeries"} <= set(
        neptune_names
    )
    missing = {
        (cls, name)
        for cls, names in neptune_names.items()
        for name in names
        if not hasattr(_nepnb_class(cls), name) and name not in NOT_IN_NEPNB
    }
    assert missing == set()
    listed = {name for names in neptune_names.values() for name in names}
    assert set(NOT_IN_NEPNB) <= listed  # no stale entries
    still_missing = {
        name
        for cls, names in neptune_names.items()
        for name in names
        if name in NOT_IN_NEPNB and not hasattr(_nepnb_class(cls), name)
    }
    assert still_missing == set(NOT_IN_NEPNB)  # implemented since? take it off the list


def test_exceptions_are_justified_in_migrating() -> None:
    text = (REPO_ROOT / "MIGRATING.md").read_text()
    section = text.split("## Names nepnb leaves out", 1)[1].split("\n## ", 1)[0]
    for name in NOT_IN_NEPNB:
        assert f"`{name}`" in section, f"{name} is not justified in MIGRATING.md"
    for case in OTHER_ERRORS:
        assert f"`{case}`" in text
