"""nepnb.management over the local store: projects and the trash work; members need a server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import nepnb as neptune
from nepnb import management
from nepnb.exceptions import (
    Conflict,
    InvalidProjectName,
    InvalidValue,
    ObjectNotFound,
    ServerRequired,
)
from tests.helpers.client import QUIET

PROJECT = "team/cls"


def test_the_trash_of_the_local_store(new_run: Callable[..., Any]) -> None:
    runs = [new_run(project=PROJECT, mode="sync", **QUIET) for _ in range(3)]
    for run in runs:
        run["loss"].extend([1.0, 2.0, 3.0])
        run.wait()
    size = runs[0]["sys/size"].fetch()
    assert size > 0

    neptune.management.trash_objects(PROJECT, ["CLS-1", "CLS-2"])
    table = neptune.init_project(PROJECT, mode="read-only").fetch_runs_table()
    assert [row["sys/id"].get() for row in table] == ["CLS-3"]
    everything = neptune.init_project(PROJECT, mode="read-only").fetch_runs_table(trashed=None)
    assert len(everything) == 3
    assert runs[0]["sys/trashed"].fetch() is True
    assert runs[0]["sys/size"].fetch() == size  # in the trash, still all there
    runs[0]["late"] = 1.0  # a process still writing to a trashed run loses nothing
    runs[0].wait()
    assert runs[0]["late"].fetch() == 1.0

    management.restore_objects_from_trash(PROJECT, "CLS-2")
    assert [item["id"] for item in management.get_trash_list(PROJECT)] == ["CLS-1"]
    assert management.get_trash_list(PROJECT)[0]["size"] >= size
    management.delete_objects_from_trash(PROJECT, ["CLS-1"])
    with pytest.raises(ObjectNotFound):
        neptune.init_run(with_id="CLS-1", project=PROJECT, mode="read-only")
    management.trash_objects(PROJECT, "CLS-3")
    management.clear_trash(PROJECT)
    table = neptune.init_project(PROJECT, mode="read-only").fetch_runs_table(trashed=None)
    assert [row["sys/id"].get() for row in table] == ["CLS-2"]


def test_bad_input(new_run: Callable[..., Any]) -> None:
    new_run(project=PROJECT, mode="sync", **QUIET).stop()
    with pytest.raises(ObjectNotFound, match="CLS-5, CLS-6"):
        management.trash_objects(PROJECT, ["CLS-1", "CLS-5", "CLS-6"])
    assert management.get_trash_list(PROJECT) == []
    with pytest.raises(InvalidValue, match="at least one"):
        management.trash_objects(PROJECT, [])
    with pytest.raises(InvalidValue, match="not in the trash"):
        management.delete_objects_from_trash(PROJECT, ["CLS-1"])
    with pytest.raises(InvalidProjectName, match="no workspace"):
        management.trash_objects("cls", ["CLS-1"])
    with pytest.raises(InvalidProjectName, match="not in the workspace"):
        management.trash_objects(PROJECT, ["CLS-1"], workspace="other")


def test_projects_of_the_local_store() -> None:
    assert management.create_project("ner", workspace="ml", key="NER2") == "ml/ner"
    assert management.get_project_list() == ["ml/ner"]
    with pytest.raises(Conflict, match="exists already"):
        management.create_project("ml/ner")
    with pytest.raises(Conflict, match="key 'NER2' is taken"):
        management.create_project("ml/other", key="ner2")
    with pytest.raises(InvalidValue, match="project key"):
        management.create_project("ml/third", key="has space")
    with pytest.raises(InvalidValue, match="visibility"):
        management.create_project("ml/fourth", visibility="secret")
    run = neptune.init_run(project="ml/ner", mode="sync", **QUIET)
    assert run["sys/id"].fetch() == "NER2-1"
    run.stop()
    management.delete_project("ml/ner")
    assert management.get_project_list() == []


@pytest.mark.parametrize(
    "call",
    [
        lambda: management.get_project_member_list(PROJECT),
        lambda: management.add_project_member(PROJECT, "jackie", "viewer"),
        lambda: management.remove_project_member(PROJECT, "jackie"),
        lambda: management.get_project_service_account_list(PROJECT),
        lambda: management.add_project_service_account(PROJECT, "ci", "contributor"),
        lambda: management.remove_project_service_account(PROJECT, "ci"),
        lambda: management.get_workspace_member_list("team"),
    ],
)
def test_members_need_a_tracking_server(call: Callable[[], Any]) -> None:
    with pytest.raises(ServerRequired, match="needs a tracking server"):
        call()


def test_the_neptune_names_of_the_exceptions() -> None:
    from nepnb.management import exceptions

    assert exceptions.ProjectAlreadyExists is Conflict
    assert issubclass(exceptions.ProjectNotFound, exceptions.ManagementOperationFailure)


def test_writes_to_a_run_deleted_from_the_trash_are_reported_not_retried_forever(
    new_run: Callable[..., Any],
) -> None:
    from nepnb.exceptions import NepnbWarning

    run = new_run(project=PROJECT, **QUIET)
    run["x"] = 1
    run.wait()
    management.trash_objects(PROJECT, "CLS-1")
    management.clear_trash(PROJECT)
    run["y"] = 2
    with pytest.raises(ObjectNotFound, match="CLS-1 was deleted") as raised:
        run.wait()
    assert "nepnb sync will upload" not in str(raised.value)
    assert "nepnb clear" in str(raised.value)
    with pytest.warns(NepnbWarning, match="CLS-1 was deleted"):
        run.stop()  # no traceback: the run is gone, which this process cannot change


#: The functions of neptune.management (1.x) that nepnb has.
NEPTUNE_FUNCTIONS = {
    "add_project_member",
    "add_project_service_account",
    "clear_trash",
    "create_project",
    "delete_objects_from_trash",
    "delete_project",
    "get_project_list",
    "get_project_member_list",
    "get_project_service_account_list",
    "get_workspace_member_list",
    "remove_project_member",
    "remove_project_service_account",
    "trash_objects",
}


def test_exports() -> None:
    import inspect

    assert management.__all__ == sorted(management.__all__)
    assert set(management.__all__) >= NEPTUNE_FUNCTIONS
    for name in management.__all__:
        assert callable(getattr(management, name)), name
    # Neptune's keyword-only arguments.
    for name in NEPTUNE_FUNCTIONS:
        parameters = inspect.signature(getattr(management, name)).parameters
        assert parameters["api_token"].kind is inspect.Parameter.KEYWORD_ONLY, name
    assert neptune.management is management  # `from neptune import management` works
