"""The objects: runs, projects, models and model versions, and the methods they share."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

import pytest

import nepnb as neptune
from nepnb.exceptions import (
    InactiveObject,
    InvalidPath,
    InvalidValue,
    MissingField,
    NepnbError,
    ObjectNotFound,
    ReadOnlyMode,
)
from tests.helpers.client import QUIET, series, structure_types, user_fields


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return request.param


# identity and sys/ fields ----------------------------------------------------------------


def test_a_new_run_has_its_sys_fields(new_run: Any) -> None:
    before = datetime.now(timezone.utc)
    run = new_run(mode="sync", name="baseline", description="first try", tags=["cnn", "a"])
    sys_fields = run["sys"].fetch()
    assert re.fullmatch(r"[A-Z][A-Z0-9]*-1", sys_fields["id"])
    assert sys_fields["name"] == "baseline"
    assert sys_fields["description"] == "first try"
    assert sys_fields["tags"] == {"cnn", "a"}
    assert sys_fields["state"] == "Active"
    assert sys_fields["failed"] is False
    assert sys_fields["trashed"] is False
    assert isinstance(sys_fields["owner"], str) and sys_fields["owner"]
    created = sys_fields["creation_time"]
    assert before.timestamp() - 1 <= created.timestamp() <= datetime.now().timestamp() + 1
    assert created.tzinfo is not None


def test_defaults_of_name_and_description(new_run: Any) -> None:
    run = new_run(mode="sync")
    assert run["sys/name"].fetch() == "Untitled"
    assert run["sys/description"].fetch() == ""
    assert run["sys/tags"].fetch() == set()


def test_runs_of_a_project_are_numbered(new_run: Any) -> None:
    ids = [new_run(mode="sync", project="team/vision")["sys/id"].fetch() for _ in range(3)]
    key = ids[0].rsplit("-", 1)[0]
    assert ids == [f"{key}-1", f"{key}-2", f"{key}-3"]
    other = new_run(mode="sync", project="team/nlp")["sys/id"].fetch()
    assert other.rsplit("-", 1)[0] != key
    assert other.endswith("-1")


def test_state_and_running_time_after_stop(new_run: Any, reopen: Any) -> None:
    run = new_run(mode="async")
    sys_id = run["sys/id"].fetch()
    assert run.get_state() == "started"
    run.stop()
    assert run.get_state() == "stopped"
    ro = reopen(sys_id)
    assert ro["sys/state"].fetch() == "Inactive"
    assert ro["sys/running_time"].fetch() >= 0
    assert ro["sys/modification_time"].fetch() >= ro["sys/creation_time"].fetch()


def test_url_root_object_and_repr(new_run: Any) -> None:
    run = new_run(mode="sync", project="team/urls")
    sys_id = run["sys/id"].fetch()
    assert sys_id in run.get_url()
    assert run.get_root_object() is run
    assert run["a/b"].get_root_object() is run
    assert sys_id in repr(run)
    run["a/b"] = 1
    assert "a/b" in repr(run["a/b"])


# [], []=, del, in, assign, fetch, exists --------------------------------------------------


def test_item_access_assignment_and_deletion(new_run: Any, mode: str) -> None:
    run = new_run(mode=mode)
    run["x"] = 1
    run["ns/y"] = "why"
    assert "x" in run and "ns" in run and "ns/y" in run
    assert "nothing" not in run
    del run["x"]
    assert "x" not in run
    run.wait()
    with pytest.raises(MissingField, match="'x'"):
        run["x"].fetch()
    assert run["ns/y"].fetch() == "why"


def test_root_assign_takes_a_dict(new_run: Any, reopen: Any, mode: str) -> None:
    run = new_run(mode=mode)
    run.assign({"params": {"lr": 0.1, "n": 2}, "note": "hi"})
    run.assign({"params": {"extra": True}}, wait=True)
    assert run["params"].fetch() == {"lr": 0.1, "n": 2, "extra": True}
    with pytest.raises(NepnbError):
        run.assign(5)
    sys_id = run["sys/id"].fetch()
    run.stop()
    assert reopen(sys_id)["note"].fetch() == "hi"


def test_fetch_gives_every_atom_as_a_nested_dict(new_run: Any) -> None:
    run = new_run(mode="sync", name="n")
    run["p/lr"] = 0.5
    run["p/deep/flag"] = True
    run["loss"].append(1.0)  # series are not part of fetch()
    run["labels"].add("x")
    run["note"].append("text")
    everything = run.fetch()
    assert everything["p"] == {"lr": 0.5, "deep": {"flag": True}}
    assert everything["labels"] == {"x"}
    assert "loss" not in everything and "note" not in everything
    assert everything["sys"]["name"] == "n"


def test_exists(new_run: Any, mode: str) -> None:
    run = new_run(mode=mode)
    run["a/b/c"] = 1
    assert run.exists("a/b/c")
    assert run.exists("a/b")
    assert run.exists("a")
    assert run.exists("sys/id")
    assert not run.exists("a/b/c/d")
    assert not run.exists("a/x")
    with pytest.raises(NepnbError):
        run.exists(3)  # type: ignore[arg-type]


def test_exists_sees_fields_of_other_writers(new_run: Any) -> None:
    run = new_run(mode="sync")
    other = new_run(mode="sync", with_id=run["sys/id"].fetch())
    other["from/other"] = 1
    assert run.exists("from/other")


# structure -------------------------------------------------------------------------------


def test_get_structure(new_run: Any) -> None:
    run = new_run(mode="sync")
    run["params/lr"] = 0.1
    run["train/loss"].append(0.5)
    structure = run.get_structure()
    assert set(structure) >= {"sys", "params", "train"}
    assert set(structure["sys"]) >= {"id", "name", "state", "creation_time", "tags", "owner"}
    leaf = structure["params"]["lr"]
    assert leaf.fetch() == 0.1
    assert structure["train"]["loss"].fetch_last() == 0.5
    assert user_fields(run).keys() == {"params", "train"}


def test_print_structure(new_run: Any, capsys: pytest.CaptureFixture[str]) -> None:
    run = new_run(mode="sync")
    run["z/lr"] = 0.1
    run["a/loss"].append(0.5)
    run["a/tags"].add("t")
    run["m"] = "text"
    capsys.readouterr()
    run.print_structure()
    lines = capsys.readouterr().out.splitlines()
    user = [line for line in lines if not line.startswith(("'sys'", "'monitoring'", "'source"))]
    # Keys sorted, four spaces per level, the type name of each field.
    start = lines.index("'a':")
    assert lines[start : start + 3] == ["'a':", "    'loss': FloatSeries", "    'tags': StringSet"]
    assert "'m': String" in user
    assert lines[lines.index("'z':") + 1] == "    'lr': Float"
    sys_start = lines.index("'sys':")
    assert "    'id': String" in lines[sys_start:]
    assert "    'state': RunState" in lines[sys_start:]
    top = [line for line in lines if not line.startswith(" ")]
    assert top == sorted(top)


def test_structure_types_cover_every_field_type(new_run: Any, capsys: Any, tmp_path: Any) -> None:
    from nepnb.types import File

    (tmp_path / "f.txt").write_text("x")
    run = new_run(mode="sync")
    run["i"] = 1
    run["f"] = 1.5
    run["b"] = True
    run["s"] = "s"
    run["d"] = datetime(2024, 1, 1, tzinfo=timezone.utc)
    run["fs"].append(1.0)
    run["ss"].append("x")
    run["img"].append(File.from_content(b"\x89PNG", extension="png"))
    run["file"].upload(str(tmp_path / "f.txt"))
    run["set"].upload_files(str(tmp_path / "f.txt"))
    run["tags"].add("x")
    run["art"].track_files(str(tmp_path / "f.txt"))
    types = structure_types(run, capsys)
    assert {k: v for k, v in types.items() if "/" not in k} == {
        "i": "Integer",
        "f": "Float",
        "b": "Boolean",
        "s": "String",
        "d": "Datetime",
        "fs": "FloatSeries",
        "ss": "StringSeries",
        "img": "FileSeries",
        "file": "File",
        "set": "FileSet",
        "tags": "StringSet",
        "art": "Artifact",
    }


# pop -------------------------------------------------------------------------------------


def test_pop_a_field_and_a_namespace(new_run: Any, reopen: Any, mode: str) -> None:
    run = new_run(mode=mode)
    run["keep"] = 1
    run["gone"] = 2
    run["ns/a"] = 1
    run["ns/deep/b"].append(1.0)
    run["ns2/x/y"] = 3
    run.pop("gone")
    run.pop("ns")
    run["ns2"].pop("x/y")
    assert not run.exists("gone")
    assert not run.exists("ns") and not run.exists("ns/deep/b")
    assert not run.exists("ns2/x")  # emptied namespaces vanish
    sys_id = run["sys/id"].fetch()
    run.stop()
    ro = reopen(sys_id)
    assert user_fields(ro).keys() == {"keep"}


def test_a_popped_path_can_take_another_type(new_run: Any, reopen: Any, mode: str) -> None:
    run = new_run(mode=mode)
    run["x"].extend([1.0, 2.0, 3.0])
    run["x"].pop()
    run["x"] = "now a string"
    run["y"] = 1
    del run["y"]
    run["y"].append("a")  # a new series: its steps start again at 0
    run["z"].append(1.0, step=10)
    run.pop("z")
    run["z"].append(2.0)
    sys_id = run["sys/id"].fetch()
    run.stop()
    ro = reopen(sys_id)
    assert ro["x"].fetch() == "now a string"
    assert series(ro, "y") == ([0.0], ["a"])
    assert series(ro, "z") == ([0.0], [2.0])


def test_popping_a_missing_path_changes_nothing(new_run: Any) -> None:
    run = new_run(mode="sync")
    run["a"] = 1
    try:
        run.pop("not/there")
    except NepnbError as error:
        assert "not/there" in str(error)
    assert run["a"].fetch() == 1


# wait, sync ------------------------------------------------------------------------------


def test_sync_reloads_fields_written_elsewhere(new_run: Any) -> None:
    run = new_run(mode="async", flush_period=60)
    other = new_run(mode="sync", with_id=run["sys/id"].fetch())
    other["shared"] = "text"
    run.sync()
    # Now the run knows the field's type and refuses another one at once.
    with pytest.raises(NepnbError, match="'shared'"):
        run["shared"].append(1.0)
    assert run["shared"].fetch() == "text"
    run.wait()
    assert run["shared"].fetch() == "text"


# stop, use after stop, context manager ---------------------------------------------------


def test_stop_twice_is_harmless(new_run: Any) -> None:
    run = new_run(mode="async")
    run.stop()
    run.stop()
    assert run.get_state() == "stopped"


def test_writes_after_stop_raise_and_store_nothing(new_run: Any, reopen: Any, mode: str) -> None:
    run = new_run(mode=mode)
    run["x"] = 1
    run["loss"].append(1.0)
    handler = run["x"]
    sys_id = run["sys/id"].fetch()
    run.stop()
    writes = [
        lambda: run.__setitem__("x", 2),
        lambda: handler.assign(3),
        lambda: run["loss"].append(2.0),
        lambda: run["loss"].extend([2.0]),
        lambda: run["tags"].add("t"),
        lambda: run.pop("x"),
        lambda: run.__delitem__("x"),
        lambda: run.assign({"x": 4}),
    ]
    for write in writes:
        with pytest.raises(InactiveObject, match=r"'(x|loss|tags)'"):
            write()
    assert run.exists("x")
    ro = reopen(sys_id)
    assert ro["x"].fetch() == 1
    assert series(ro, "loss") == ([0.0], [1.0])
    assert not ro.exists("tags")


def test_context_manager_stops_the_run(reopen: Any) -> None:
    with neptune.init_run(mode="async", **QUIET) as run:
        run["x"] = 1
        sys_id = run["sys/id"].fetch()
    assert run.get_state() == "stopped"
    ro = reopen(sys_id)
    assert ro["x"].fetch() == 1
    assert ro["sys/state"].fetch() == "Inactive"
    assert ro["sys/failed"].fetch() is False


def test_an_exception_in_a_with_block_marks_the_run_failed(reopen: Any) -> None:
    with (
        pytest.raises(RuntimeError, match="boom"),
        neptune.init_run(mode="sync", **QUIET) as run,
    ):
        sys_id = run["sys/id"].fetch()
        raise RuntimeError("boom")
    assert run.get_state() == "stopped"
    ro = reopen(sys_id)
    assert ro["sys/failed"].fetch() is True
    [namespace] = ro["monitoring"].fetch().keys() or [None]
    traceback_text = "".join(ro[f"monitoring/{namespace}/traceback"].fetch_values()["value"])
    assert "RuntimeError: boom" in traceback_text


def test_fail_on_exception_false_keeps_the_run_not_failed(reopen: Any) -> None:
    with (
        pytest.raises(RuntimeError),
        neptune.init_run(mode="sync", fail_on_exception=False, **QUIET) as run,
    ):
        sys_id = run["sys/id"].fetch()
        raise RuntimeError("boom")
    assert reopen(sys_id)["sys/failed"].fetch() is False


# models and model versions ---------------------------------------------------------------


@pytest.fixture
def model(objects: list[Any]) -> Any:
    opened = neptune.init_model(key="FOREST", name="forest", project="team/cls", mode="sync")
    objects.append(opened)
    return opened


def version(objects: list[Any], model_id: str, **kwargs: Any) -> Any:
    opened = neptune.init_model_version(model=model_id, project="team/cls", mode="sync", **kwargs)
    objects.append(opened)
    return opened


def test_models_have_keys_and_fields(model: Any, reopen: Any) -> None:
    model_id = model["sys/id"].fetch()
    assert model_id.endswith("-FOREST")
    assert model["sys/name"].fetch() == "forest"
    model["params/depth"] = 3
    model["train/loss"].append(0.5)
    model.stop()
    ro = reopen(model_id, neptune.init_model, project="team/cls")
    assert ro["params/depth"].fetch() == 3
    assert ro["train/loss"].fetch_last() == 0.5


def test_model_versions_are_numbered_per_model(model: Any, objects: list[Any]) -> None:
    model_id = model["sys/id"].fetch()
    first = version(objects, model_id)
    second = version(objects, model_id, name="v2")
    assert first["sys/id"].fetch() == f"{model_id}-1"
    assert second["sys/id"].fetch() == f"{model_id}-2"
    assert first["sys/model_id"].fetch() == model_id
    assert first["sys/stage"].fetch() == "none"
    assert second["sys/name"].fetch() == "v2"


def test_change_stage(model: Any, objects: list[Any], reopen: Any) -> None:
    v = version(objects, model["sys/id"].fetch())
    v_id = v["sys/id"].fetch()
    for stage in ("staging", "production", "archived", "none", "production"):
        v.change_stage(stage)
        assert v["sys/stage"].fetch() == stage
    v.stop()
    assert reopen(v_id, neptune.init_model_version, project="team/cls")["sys/stage"].fetch() == (
        "production"
    )


def test_stage_cannot_be_set_otherwise(model: Any, objects: list[Any]) -> None:
    v = version(objects, model["sys/id"].fetch())
    with pytest.raises(InvalidValue, match="prod"):
        v.change_stage("prod")
    with pytest.raises(NepnbError, match="sys/stage"):
        v["sys/stage"] = "production"
    with pytest.raises(NepnbError, match="sys/stage"):
        del v["sys/stage"]
    assert v["sys/stage"].fetch() == "none"


def test_change_stage_in_read_only_mode_is_refused(
    model: Any, objects: list[Any], reopen: Any
) -> None:
    v = version(objects, model["sys/id"].fetch())
    ro = reopen(v["sys/id"].fetch(), neptune.init_model_version, project="team/cls")
    with pytest.raises(ReadOnlyMode, match="sys/stage"):
        ro.change_stage("staging")
    assert v["sys/stage"].fetch() == "none"


def test_model_versions_table(model: Any, objects: list[Any]) -> None:
    model_id = model["sys/id"].fetch()
    version(objects, model_id, name="a")
    version(objects, model_id, name="b")
    other = neptune.init_model(key="OTHER", project="team/cls", mode="sync")
    objects.append(other)
    version(objects, other["sys/id"].fetch(), name="elsewhere")
    frame = model.fetch_model_versions_table().to_pandas()
    assert frame["sys/id"].tolist() == [f"{model_id}-2", f"{model_id}-1"]
    assert frame["sys/name"].tolist() == ["b", "a"]
    assert frame["sys/stage"].tolist() == ["none", "none"]
    only = model.fetch_model_versions_table(columns=["sys/stage"]).to_pandas()
    assert set(only.columns) == {"sys/id", "sys/stage", "sys/creation_time"}


def test_models_table(model: Any, objects: list[Any]) -> None:
    other = neptune.init_model(key="TREE", name="tree", project="team/cls", mode="sync")
    objects.append(other)
    project = neptune.init_project(project="team/cls", mode="read-only")
    objects.append(project)
    frame = project.fetch_models_table(sort_by="sys/name", ascending=True).to_pandas()
    assert frame["sys/name"].tolist() == ["forest", "tree"]
    assert len(project.fetch_runs_table()) == 0


def test_model_and_version_arguments_are_checked(model: Any) -> None:
    with pytest.raises(NepnbError, match="key"):
        neptune.init_model(project="team/cls", mode="sync")
    with pytest.raises(NepnbError, match="model"):
        neptune.init_model_version(project="team/cls", mode="sync")
    with pytest.raises(ObjectNotFound, match="NOPE"):
        neptune.init_model_version(model="CLS-NOPE", project="team/cls", mode="sync")
    with pytest.raises(NepnbError, match="offline"):
        neptune.init_model(key="OFF", project="team/cls", mode="offline")
    with pytest.raises(NepnbError, match="offline"):
        neptune.init_model_version(
            model=model["sys/id"].fetch(), project="team/cls", mode="offline"
        )


def test_an_id_opened_with_the_wrong_init_function_is_refused(model: Any, new_run: Any) -> None:
    model_id = model["sys/id"].fetch()
    with pytest.raises(NepnbError, match=model_id):
        neptune.init_run(with_id=model_id, project="team/cls", mode="read-only")
    run_id = new_run(mode="sync", project="team/cls")["sys/id"].fetch()
    with pytest.raises(NepnbError, match=run_id):
        neptune.init_model(with_id=run_id, project="team/cls", mode="read-only")


# projects --------------------------------------------------------------------------------


def test_project_fields(objects: list[Any]) -> None:
    project = neptune.init_project(project="team/proj", mode="async")
    objects.append(project)
    project["general/brief"] = "classify things"
    project["general/best"] = 0.93
    project.stop()
    again = neptune.init_project(project="team/proj", mode="read-only")
    objects.append(again)
    assert again["general"].fetch() == {"brief": "classify things", "best": 0.93}
    assert again["sys/id"].fetch()
    with pytest.raises(ReadOnlyMode, match="general/brief"):
        again["general/brief"] = "x"
    assert again["general/brief"].fetch() == "classify things"


def test_project_from_the_environment(objects: list[Any], monkeypatch: Any) -> None:
    monkeypatch.setenv("NEPTUNE_PROJECT", "env/proj")
    project = neptune.init_project(mode="sync")
    objects.append(project)
    project["x"] = 1
    same = neptune.init_project(project="env/proj", mode="read-only")
    objects.append(same)
    assert same["x"].fetch() == 1


def test_project_cannot_be_offline() -> None:
    with pytest.raises(NepnbError, match="offline"):
        neptune.init_project(project="team/proj", mode="offline")


def test_sys_paths_are_read_only_except_name_description_and_tags(new_run: Any) -> None:
    run = new_run(mode="sync")
    run["sys/name"] = "renamed"
    run["sys/description"] = "described"
    run["sys/tags"].add("t")
    sys_id = run["sys/id"].fetch()
    for path, value in [("sys/id", "X-1"), ("sys/state", "x"), ("sys/failed", True),
                        ("sys/owner", "me"), ("sys/creation_time", datetime.now())]:  # fmt: skip
        with pytest.raises(InvalidPath, match=path):
            run[path] = value
    assert run["sys/id"].fetch() == sys_id
    assert run["sys/failed"].fetch() is False
    assert run["sys/name"].fetch() == "renamed"
    assert run["sys/description"].fetch() == "described"
    assert run["sys/tags"].fetch() == {"t"}
