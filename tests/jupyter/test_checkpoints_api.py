"""Notebook checkpoints through the REST API of a real Jupyter server (pytest-jupyter).

Every request goes through jupyter_server's authentication, authorization, XSRF check and
contents manager; notebook files are placed in ``jp_root_dir`` and read back from disk.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from pathlib import Path
from typing import Any

import nbformat
import pytest
from tornado.httpclient import HTTPResponse

import nepnb
from tests.helpers.jupyter_api import (
    API,
    call,
    content_of,
    error_message,
    listing,
    reply,
    upload,
    with_source,
)
from tests.helpers.nbrun import (
    SIMPLE,
    file_id,
    nbformat3_notebook,
    notebook_dict,
    on_disk,
    stream,
    write_notebook,
)

# -- create, list, get ----------------------------------------------------------------------


async def test_ui_and_kernel_checkpoints_are_signed_by_one_identity_set_in_the_settings(
    jp_fetch, jp_root_dir: Path, nepnb_home: Path
) -> None:
    from nepnb.notebooks import default_author

    write_notebook(jp_root_dir / "walk.ipynb", SIMPLE)
    # Not the Jupyter server's random "Anonymous Cyllene": what the kernel and the CLI sign with.
    first = await upload(jp_fetch, "walk.ipynb", "From the toolbar")
    assert first["checkpoint"]["author"] == default_author(nepnb_home)
    assert not first["checkpoint"]["author"].startswith("Anonymous")

    # Settings → nepnb → "Checkpoint author": the server extension and the kernel both sign so.
    settings = reply(
        await call(jp_fetch, "settings", method="PUT", body={"author": " Ada  Lovelace "})
    )
    assert settings["author"] == "Ada Lovelace"
    second = await upload(jp_fetch, "walk.ipynb", "Named")
    assert second["checkpoint"]["author"] == "Ada Lovelace"
    assert default_author(nepnb_home) == "Ada Lovelace"  # what the kernel reads (its NEPNB_HOME)
    assert reply(await call(jp_fetch, "settings"))["author"] == "Ada Lovelace"

    # Emptied: back to git's user.name (or the login), for both.
    cleared = reply(await call(jp_fetch, "settings", method="PUT", body={"author": ""}))
    assert cleared["author"] == first["checkpoint"]["author"]
    too_long = await call(jp_fetch, "settings", method="PUT", body={"author": "x" * 300})
    assert "at most 256" in error_message(too_long, 400)


async def test_upload_assigns_an_id_written_back_through_the_contents_manager(
    jp_fetch, jp_root_dir: Path
) -> None:
    path = write_notebook(jp_root_dir / "analysis.ipynb", SIMPLE)
    first = await upload(jp_fetch, "analysis.ipynb", "Baseline model\n\nFirst try, no dropout.")

    checkpoint = first["checkpoint"]
    assert first["id_assigned"] is True
    assert re.fullmatch(r"[0-9a-f]{32}", first["notebook_id"])
    assert checkpoint["notebook_id"] == first["notebook_id"]
    assert checkpoint["seq"] == 1
    assert checkpoint["parent_id"] is None
    assert checkpoint["path"] == "analysis.ipynb"
    assert checkpoint["summary"] == "Baseline model"
    assert checkpoint["body"] == "First try, no dropout."
    assert checkpoint["project"] == "local/default"
    assert checkpoint["author"]
    assert checkpoint["stats"]["cells"] == 3
    assert file_id(path) == first["notebook_id"]
    # Only the id was added: the cells in the file are untouched.
    assert on_disk(path)["cells"] == SIMPLE["cells"]

    run = nepnb.init_run(project="local/default", mode="sync", git_ref=False)
    run.stop()
    second = await upload(jp_fetch, "analysis.ipynb", "Same again", runs=[run._sys_id])
    assert second["id_assigned"] is False
    assert second["notebook_id"] == first["notebook_id"]
    assert second["checkpoint"]["seq"] == 2
    assert second["checkpoint"]["parent_id"] == checkpoint["id"]
    assert second["checkpoint"]["runs"] == [run._sys_id]
    unknown = await call(
        jp_fetch, "checkpoints", method="POST",
        body={"path": "analysis.ipynb", "message": "m", "runs": ["NOPE-9"]},
    )  # fmt: skip
    assert "no object with id 'NOPE-9'" in error_message(unknown, 404)
    assert file_id(path) == first["notebook_id"]


async def test_list_is_newest_first(jp_fetch, jp_root_dir: Path) -> None:
    path = write_notebook(jp_root_dir / "sub/folder/nb.ipynb", SIMPLE)
    ids = []
    for number in range(3):
        done = await upload(jp_fetch, "sub/folder/nb.ipynb", f"Step {number}")
        ids.append(done["checkpoint"]["id"])
        if number == 0:
            path.write_text(
                json.dumps(with_source(on_disk(path), 1, "print(x + 1)")), encoding="utf-8"
            )

    listed = await listing(jp_fetch, "sub/folder/nb.ipynb")
    assert listed["path"] == "sub/folder/nb.ipynb"
    assert listed["notebook_id"] == file_id(path)
    assert [c["id"] for c in listed["checkpoints"]] == ids[::-1]
    assert [c["seq"] for c in listed["checkpoints"]] == [3, 2, 1]
    assert [c["summary"] for c in listed["checkpoints"]] == ["Step 2", "Step 1", "Step 0"]


async def test_list_of_a_notebook_without_checkpoints_is_empty(jp_fetch, jp_root_dir) -> None:
    write_notebook(jp_root_dir / "fresh.ipynb", SIMPLE)
    listed = await listing(jp_fetch, "fresh.ipynb")
    assert listed["notebook_id"] is None
    assert listed["checkpoints"] == []


async def test_get_by_id_and_prefix_and_content_is_the_exact_notebook(
    jp_fetch, jp_root_dir: Path
) -> None:
    path = write_notebook(jp_root_dir / "exact.ipynb", SIMPLE)
    done = await upload(jp_fetch, "exact.ipynb", "Exact")
    checkpoint_id = done["checkpoint"]["id"]

    for key in (checkpoint_id, checkpoint_id[:4], checkpoint_id[:8].upper()):
        response = await call(jp_fetch, "checkpoints", key)
        assert response.code == 200, (key, response.body)
        data = reply(response)
        assert data["id"] == checkpoint_id
        assert data["summary"] == "Exact"
        assert "notebook" not in data

    # The notebook as it is in the file now (with its id), cell for cell, output for output.
    assert await content_of(jp_fetch, checkpoint_id[:6]) == on_disk(path)


async def test_an_unchanged_notebook_checkpointed_again_stores_nothing_new(
    jp_fetch, jp_root_dir: Path
) -> None:
    write_notebook(jp_root_dir / "same.ipynb", SIMPLE)
    first = await upload(jp_fetch, "same.ipynb", "First")
    second = await upload(jp_fetch, "same.ipynb", "Nothing changed since")

    response = await call(
        jp_fetch,
        "compare",
        params={"a": first["checkpoint"]["id"], "b": second["checkpoint"]["id"]},
    )
    diff = reply(response)
    assert [c for c in diff["cells"] if c["status"] != "unchanged"] == []
    assert diff["summary_line"] == "no changes"
    # Every part was already stored: the second checkpoint costs a row, not a copy.
    assert second["new_parts"] == 0


async def test_download_is_an_ipynb_attachment(jp_fetch, jp_root_dir: Path) -> None:
    path = write_notebook(jp_root_dir / "down.ipynb", SIMPLE)
    done = await upload(jp_fetch, "down.ipynb", "To download")
    checkpoint_id = done["checkpoint"]["id"]

    response = await call(jp_fetch, "checkpoints", checkpoint_id, "notebook")
    assert response.code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment")
    assert f'filename="down.checkpoint-{checkpoint_id[:8]}.ipynb"' in disposition
    node = nbformat.reads(response.body.decode(), as_version=4)
    nbformat.validate(node)
    downloaded = json.loads(json.dumps(node))
    assert downloaded["cells"] == on_disk(path)["cells"]
    assert downloaded["metadata"]["nepnb"]["restored_from"] == checkpoint_id
    # The notebook media type the handler sets (checked last: the download itself works).
    assert response.headers["Content-Type"].startswith("application/x-ipynb+json")


async def test_paths_with_spaces_and_non_latin_letters(jp_fetch, jp_root_dir: Path) -> None:
    name = "Отчёты 2024/分析 (v2).ipynb"
    path = write_notebook(jp_root_dir / name, SIMPLE)
    done = await upload(jp_fetch, name, "Unicode path")
    checkpoint_id = done["checkpoint"]["id"]
    assert done["checkpoint"]["path"] == name
    assert file_id(path) == done["notebook_id"]
    listed = await listing(jp_fetch, name)
    assert [c["id"] for c in listed["checkpoints"]] == [checkpoint_id]

    response = await call(jp_fetch, "checkpoints", checkpoint_id, "restore", method="POST")
    assert response.code == 201, response.body
    restored = reply(response)["path"]
    assert restored == f"Отчёты 2024/分析 (v2).checkpoint-{checkpoint_id[:8]}.ipynb"
    assert on_disk(jp_root_dir / restored)["cells"] == SIMPLE["cells"]

    # The download names the file too, whatever letters it has.
    response = await call(jp_fetch, "checkpoints", checkpoint_id, "notebook")
    assert response.code == 200, response.body
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert checkpoint_id[:8] in response.headers["Content-Disposition"]
    assert json.loads(response.body)["cells"][0]["source"] == ["import math\n", "x = 1"]


# -- restore ------------------------------------------------------------------------------


async def test_restore_writes_a_new_file_and_never_overwrites(jp_fetch, jp_root_dir) -> None:
    path = write_notebook(jp_root_dir / "work/model.ipynb", SIMPLE)
    done = await upload(jp_fetch, "work/model.ipynb", "Before the change")
    checkpoint_id = done["checkpoint"]["id"]
    stored = on_disk(path)
    changed = with_source(stored, 0, "import math\nx = 2")
    path.write_text(json.dumps(changed), encoding="utf-8")

    response = await call(jp_fetch, "checkpoints", checkpoint_id, "restore", method="POST")
    assert response.code == 201, response.body
    first = reply(response)["path"]
    assert first == f"work/model.checkpoint-{checkpoint_id[:8]}.ipynb"
    restored = on_disk(jp_root_dir / first)
    assert restored["cells"] == stored["cells"]
    assert restored["metadata"]["nepnb"]["restored_from"] == checkpoint_id
    assert on_disk(path)["cells"] == changed["cells"], "the original is left alone"

    response = await call(jp_fetch, "checkpoints", checkpoint_id[:6], "restore", method="POST")
    assert response.code == 201, response.body
    second = reply(response)["path"]
    assert second not in (first, "work/model.ipynb")
    assert second.startswith("work/")
    assert on_disk(jp_root_dir / second)["cells"] == stored["cells"]
    assert on_disk(jp_root_dir / first)["cells"] == stored["cells"]

    response = await call(
        jp_fetch, "checkpoints", checkpoint_id, "restore", method="POST", body={"to": "old.ipynb"}
    )
    assert response.code == 201, response.body
    assert reply(response)["path"] == "old.ipynb"
    assert on_disk(jp_root_dir / "old.ipynb")["cells"] == stored["cells"]


async def test_restore_to_an_existing_file_is_refused(jp_fetch, jp_root_dir: Path) -> None:
    path = write_notebook(jp_root_dir / "keep.ipynb", SIMPLE)
    done = await upload(jp_fetch, "keep.ipynb", "Keep")
    before = path.read_bytes()
    other = write_notebook(jp_root_dir / "other.ipynb", notebook_dict("precious = True"))
    other_before = other.read_bytes()

    for target in ("keep.ipynb", "other.ipynb"):
        response = await call(
            jp_fetch,
            "checkpoints",
            done["checkpoint"]["id"],
            "restore",
            method="POST",
            body={"to": target},
        )
        message = error_message(response, 409)
        assert target in message
        assert "exists" in message
    assert path.read_bytes() == before
    assert other.read_bytes() == other_before

    # Nor can a restore write outside the server root.
    response = await call(
        jp_fetch,
        "checkpoints",
        done["checkpoint"]["id"],
        "restore",
        method="POST",
        body={"to": "../escaped.ipynb"},
    )
    assert "outside root" in error_message(response, 404)
    assert not (jp_root_dir.parent / "escaped.ipynb").exists()


# -- compare ------------------------------------------------------------------------------


async def test_compare_two_checkpoints_and_with_the_current_notebook(
    jp_fetch, jp_root_dir: Path
) -> None:
    path = write_notebook(jp_root_dir / "cmp.ipynb", SIMPLE)
    first = (await upload(jp_fetch, "cmp.ipynb", "Before"))["checkpoint"]["id"]
    changed = with_source(on_disk(path), 2, "y = math.sqrt(x) * 2\nprint(y)")
    changed["cells"][2]["outputs"] = [stream("2.0\n")]
    path.write_text(json.dumps(changed), encoding="utf-8")
    second = (await upload(jp_fetch, "cmp.ipynb", "After"))["checkpoint"]["id"]

    for params in (
        {"a": first, "b": second},
        {"a": first[:5], "b": "current", "path": "cmp.ipynb"},
    ):
        response = await call(jp_fetch, "compare", params=params)
        assert response.code == 200, response.body
        diff = reply(response)
        assert diff["summary"] == {
            "added": 0,
            "removed": 0,
            "moved": 0,
            "changed": 1,
            "unchanged": 2,
            "metadata": 0,
        }
        assert diff["outputs_compared"] is True
        [cell] = [c for c in diff["cells"] if c["status"] != "unchanged"]
        assert (cell["a_index"], cell["b_index"]) == (2, 2)
        assert set(cell["changed_parts"]) == {"source", "outputs"}
        ops = {op["op"]: op.get("lines") for op in cell["source_diff"]}
        assert ops["delete"] == ["y = math.sqrt(x)"]
        assert ops["insert"] == ["y = math.sqrt(x) * 2"]
        [output] = cell["outputs"]
        assert output["status"] == "changed"
        text_ops = {op["op"]: op.get("lines") for op in output["text_diff"]}
        assert text_ops["delete"] == ["1.0"]
        assert text_ops["insert"] == ["2.0"]

    # Hidden outputs: only the source change is reported.
    response = await call(jp_fetch, "compare", params={"a": first, "b": second, "outputs": "0"})
    diff = reply(response)
    assert diff["outputs_compared"] is False
    [cell] = [c for c in diff["cells"] if c["status"] != "unchanged"]
    assert cell["changed_parts"] == ["source"]
    assert cell["outputs"] == []

    # The current notebook right after a checkpoint is identical to it.
    response = await call(
        jp_fetch, "compare", params={"a": second, "b": "current", "path": "cmp.ipynb"}
    )
    diff = reply(response)
    assert diff["summary"]["unchanged"] == 3
    assert diff["summary_line"] == "no changes"


async def test_compare_with_the_notebook_as_the_editor_holds_it(
    jp_fetch, jp_root_dir: Path
) -> None:
    path = write_notebook(jp_root_dir / "live.ipynb", SIMPLE)
    first = (await upload(jp_fetch, "live.ipynb", "Saved"))["checkpoint"]["id"]
    # An unsaved edit: the file still equals the checkpoint, the editor's model does not.
    live = with_source(on_disk(path), 2, "y = math.sqrt(x) + 1\nprint(y)")
    live["cells"].append(nbformat.v4.new_markdown_cell("Notes"))
    saved = reply(await call(jp_fetch, "compare", params={"a": first, "path": "live.ipynb"}))
    assert saved["summary_line"] == "no changes"
    diff = reply(
        await call(
            jp_fetch,
            "compare",
            method="POST",
            params={"viewer": "1"},
            body={"a": first, "notebook": live},
        )
    )
    assert (diff["summary"]["changed"], diff["summary"]["added"]) == (1, 1)
    assert on_disk(path)["cells"] == SIMPLE["cells"]  # nothing written
    refused = await call(jp_fetch, "compare", method="POST", body={"a": first, "notebook": []})
    assert "nbformat JSON" in error_message(refused, 400)


async def test_compare_outputs_only_change_disappears_when_outputs_are_hidden(
    jp_fetch, jp_root_dir: Path
) -> None:
    path = write_notebook(jp_root_dir / "out.ipynb", SIMPLE)
    first = (await upload(jp_fetch, "out.ipynb", "Before"))["checkpoint"]["id"]
    changed = on_disk(path)
    changed["cells"][1]["outputs"] = [stream("1\nand more\n")]
    path.write_text(json.dumps(changed), encoding="utf-8")

    shown = reply(
        await call(jp_fetch, "compare", params={"a": first, "b": "current", "path": "out.ipynb"})
    )
    assert shown["summary"]["changed"] == 1
    hidden = reply(
        await call(
            jp_fetch,
            "compare",
            params={"a": first, "b": "current", "path": "out.ipynb", "outputs": "0"},
        )
    )
    assert hidden["summary"]["changed"] == 0
    assert hidden["summary"]["unchanged"] == 3


# -- notebooks and projects -----------------------------------------------------------------


async def test_notebooks_lists_the_projects_notebooks(jp_fetch, jp_root_dir: Path) -> None:
    write_notebook(jp_root_dir / "one.ipynb", SIMPLE)
    write_notebook(jp_root_dir / "two/two.ipynb", notebook_dict("print(2)"))
    one = await upload(jp_fetch, "one.ipynb", "One")
    await upload(jp_fetch, "one.ipynb", "One again")
    two = await upload(jp_fetch, "two/two.ipynb", "Two")

    data = reply(await call(jp_fetch, "notebooks"))
    assert data["project"] == "local/default"
    found = {n["path"]: n for n in data["notebooks"]}
    assert set(found) == {"one.ipynb", "two/two.ipynb"}
    assert found["one.ipynb"]["notebook_id"] == one["notebook_id"]
    assert found["one.ipynb"]["checkpoints"] == 2
    assert found["two/two.ipynb"]["notebook_id"] == two["notebook_id"]
    assert found["two/two.ipynb"]["checkpoints"] == 1


async def test_project_parameter_selects_another_project(jp_fetch, jp_root_dir: Path) -> None:
    write_notebook(jp_root_dir / "team.ipynb", SIMPLE)
    done = await upload(jp_fetch, "team.ipynb", "In the team project", project="team/cls")
    checkpoint = done["checkpoint"]
    assert checkpoint["project"] == "team/cls"

    team = reply(await call(jp_fetch, "notebooks", params={"project": "team/cls"}))
    assert team["project"] == "team/cls"
    assert [n["path"] for n in team["notebooks"]] == ["team.ipynb"]
    default = reply(await call(jp_fetch, "notebooks"))
    assert default["notebooks"] == []

    listed = await listing(jp_fetch, "team.ipynb", project="team/cls")
    assert [c["id"] for c in listed["checkpoints"]] == [checkpoint["id"]]
    assert (await listing(jp_fetch, "team.ipynb"))["checkpoints"] == []

    response = await call(jp_fetch, "checkpoints", checkpoint["id"], params={"project": "team/cls"})
    assert response.code == 200
    message = error_message(await call(jp_fetch, "checkpoints", checkpoint["id"]), 404)
    assert checkpoint["id"] in message

    message = error_message(await call(jp_fetch, "notebooks", params={"project": "no-slash"}), 400)
    assert "workspace/project" in message


# -- bad input ------------------------------------------------------------------------------


async def test_a_text_file_is_not_a_notebook(jp_fetch, jp_root_dir: Path) -> None:
    (jp_root_dir / "notes.txt").write_text("just text", encoding="utf-8")
    response = await call(
        jp_fetch, "checkpoints", method="POST", body={"path": "notes.txt", "message": "m"}
    )
    message = error_message(response, 400)
    assert "notes.txt" in message
    assert "not a notebook" in message


async def test_invalid_json_is_refused_and_the_file_left_alone(jp_fetch, jp_root_dir) -> None:
    path = jp_root_dir / "broken.ipynb"
    path.write_text('{"cells": [', encoding="utf-8")
    response = await call(
        jp_fetch, "checkpoints", method="POST", body={"path": "broken.ipynb", "message": "m"}
    )
    message = error_message(response, 400)
    assert "broken.ipynb" in message
    assert "JSON" in message
    assert path.read_text(encoding="utf-8") == '{"cells": ['
    assert reply(await call(jp_fetch, "notebooks"))["notebooks"] == []


async def test_an_nbformat_3_notebook_is_upgraded_and_stored(jp_fetch, jp_root_dir) -> None:
    old = nbformat3_notebook("# An old notebook", "print('hello')")
    write_notebook(jp_root_dir / "old.ipynb", old)
    done = await upload(jp_fetch, "old.ipynb", "From 2014")
    assert done["checkpoint"]["stats"]["cells"] == 2

    stored = await content_of(jp_fetch, done["checkpoint"]["id"])
    assert stored["nbformat"] == 4
    assert [c["cell_type"] for c in stored["cells"]] == ["markdown", "code"]
    assert [c["source"] for c in stored["cells"]] == ["# An old notebook", "print('hello')"]
    code = stored["cells"][1]
    assert code["execution_count"] == 1
    assert code["outputs"] == [{"output_type": "stream", "name": "stdout", "text": "hi\n"}]
    nbformat.validate(nbformat.from_dict(stored))


async def test_a_path_outside_the_root_is_refused(jp_fetch, jp_root_dir: Path) -> None:
    # A real notebook just outside the root: the refusal is not only "not found".
    outside = write_notebook(jp_root_dir.parent / "x.ipynb", SIMPLE)
    before = outside.read_bytes()
    for path in ("../x.ipynb", "sub/../../x.ipynb"):
        response = await call(
            jp_fetch, "checkpoints", method="POST", body={"path": path, "message": "m"}
        )
        message = error_message(response, 404)
        assert message.endswith("is outside root contents directory")
        response = await call(jp_fetch, "checkpoints", params={"path": path})
        assert "outside root" in error_message(response, 404)
    response = await call(
        jp_fetch, "compare", params={"a": "abcd", "b": "current", "path": "../x.ipynb"}
    )
    assert "outside root" in error_message(response, 404)
    assert outside.read_bytes() == before
    assert reply(await call(jp_fetch, "notebooks"))["notebooks"] == []


async def test_a_missing_file_is_404(jp_fetch, jp_root_dir: Path) -> None:
    response = await call(
        jp_fetch, "checkpoints", method="POST", body={"path": "nowhere.ipynb", "message": "m"}
    )
    message = error_message(response, 404)
    assert "nowhere.ipynb" in message
    message = error_message(
        await call(jp_fetch, "checkpoints", params={"path": "nowhere.ipynb"}), 404
    )
    assert "nowhere.ipynb" in message
    response = await call(
        jp_fetch, "compare", params={"a": "abcd", "b": "current", "path": "nowhere.ipynb"}
    )
    assert response.code == 404


async def test_a_missing_path_or_message_is_400(jp_fetch, jp_root_dir: Path) -> None:
    write_notebook(jp_root_dir / "nb.ipynb", SIMPLE)
    message = error_message(
        await call(jp_fetch, "checkpoints", method="POST", body={"message": "m"}), 400
    )
    assert "path" in message
    for empty in ("", "   ", "\n\n"):
        response = await call(
            jp_fetch, "checkpoints", method="POST", body={"path": "nb.ipynb", "message": empty}
        )
        message = error_message(response, 400)
        assert "message is empty" in message
    message = error_message(await call(jp_fetch, "checkpoints", method="POST", body="{not"), 400)
    assert "not JSON" in message
    message = error_message(await call(jp_fetch, "checkpoints", method="POST", body="[1]"), 400)
    assert "JSON object" in message
    message = error_message(await call(jp_fetch, "checkpoints"), 400)
    assert "path" in message
    response = await call(
        jp_fetch,
        "checkpoints",
        method="POST",
        body={"path": "nb.ipynb", "message": "m", "runs": "CLS-1"},
    )
    assert "runs must be a list" in error_message(response, 400)
    # Nothing was stored, and no id was written to the file.
    assert file_id(jp_root_dir / "nb.ipynb") is None
    assert reply(await call(jp_fetch, "notebooks"))["notebooks"] == []


async def test_a_message_body_that_is_not_text_is_400(jp_fetch, jp_root_dir: Path) -> None:
    write_notebook(jp_root_dir / "nb.ipynb", SIMPLE)
    for body in (5, ["a list"], {"an": "object"}):
        response = await call(
            jp_fetch,
            "checkpoints",
            method="POST",
            body={"path": "nb.ipynb", "message": "m", "body": body},
        )
        assert "body" in error_message(response, 400), body
    assert file_id(jp_root_dir / "nb.ipynb") is None


async def test_a_huge_message_is_refused_with_the_limit_named(jp_fetch, jp_root_dir) -> None:
    write_notebook(jp_root_dir / "nb.ipynb", SIMPLE)
    response = await call(
        jp_fetch, "checkpoints", method="POST", body={"path": "nb.ipynb", "message": "s" * 600}
    )
    message = error_message(response, 400)
    assert "512" in message
    assert "600" in message

    response = await call(
        jp_fetch,
        "checkpoints",
        method="POST",
        body={"path": "nb.ipynb", "message": "Short summary", "body": "b" * 100_000},
    )
    message = error_message(response, 400)
    assert "65536" in message
    # The body may also come after a blank line in the message itself.
    response = await call(
        jp_fetch,
        "checkpoints",
        method="POST",
        body={"path": "nb.ipynb", "message": "Short summary\n\n" + "b" * 100_000},
    )
    assert "65536" in error_message(response, 400)

    assert file_id(jp_root_dir / "nb.ipynb") is None
    assert reply(await call(jp_fetch, "notebooks"))["notebooks"] == []
    # Exactly at the limits is fine.
    done = await upload(jp_fetch, "nb.ipynb", "s" * 512, body="b" * 65536)
    assert len(done["checkpoint"]["summary"]) == 512
    assert len(done["checkpoint"]["body"]) == 65536


async def test_unknown_checkpoint_ids_are_404(jp_fetch, jp_root_dir: Path) -> None:
    write_notebook(jp_root_dir / "nb.ipynb", SIMPLE)
    await upload(jp_fetch, "nb.ipynb", "Exists")
    unknown = "0123456789ab"
    for parts, method in (
        ((unknown,), "GET"),
        ((unknown, "notebook"), "GET"),
        ((unknown, "restore"), "POST"),
    ):
        message = error_message(await call(jp_fetch, "checkpoints", *parts, method=method), 404)
        assert unknown in message
    message = error_message(
        await call(jp_fetch, "compare", params={"a": unknown, "b": "current", "path": "nb.ipynb"}),
        404,
    )
    assert unknown in message
    # Not a hex id at all, or too short: the router or nepnb refuses it.
    response = await call(
        jp_fetch, "compare", params={"a": "xyz!", "b": "current", "path": "nb.ipynb"}
    )
    assert "at least 4" in error_message(response, 404)
    response = await call(jp_fetch, "checkpoints", "abc")
    assert response.code == 404


async def test_bad_compare_parameters_are_400(jp_fetch, jp_root_dir: Path) -> None:
    write_notebook(jp_root_dir / "nb.ipynb", SIMPLE)
    checkpoint_id = (await upload(jp_fetch, "nb.ipynb", "Base"))["checkpoint"]["id"]
    message = error_message(
        await call(
            jp_fetch,
            "compare",
            params={"a": checkpoint_id, "b": "current", "path": "nb.ipynb", "context": "abc"},
        ),
        400,
    )
    assert "context" in message
    assert "'abc'" in message
    message = error_message(await call(jp_fetch, "compare", params={"b": checkpoint_id}), 400)
    assert "?a=" in message
    message = error_message(await call(jp_fetch, "compare", params={"a": checkpoint_id}), 400)
    assert "path" in message


# -- identity: copies and moves --------------------------------------------------------------


async def test_a_copied_notebook_is_detected_then_given_its_own_history(
    jp_fetch, jp_root_dir: Path
) -> None:
    original = write_notebook(jp_root_dir / "orig.ipynb", SIMPLE)
    first = await upload(jp_fetch, "orig.ipynb", "Original")
    notebook_id = first["notebook_id"]
    copy = jp_root_dir / "copy.ipynb"
    shutil.copy(original, copy)
    copy_before = copy.read_bytes()

    response = await call(
        jp_fetch, "checkpoints", method="POST", body={"path": "copy.ipynb", "message": "Mine"}
    )
    message = error_message(response, 409)
    data = reply(response)
    assert data["other_path"] == "orig.ipynb"
    assert data["notebook_id"] == notebook_id
    assert "copy" in message
    assert "orig.ipynb" in message
    assert copy.read_bytes() == copy_before
    assert len((await listing(jp_fetch, "orig.ipynb"))["checkpoints"]) == 1

    done = await upload(jp_fetch, "copy.ipynb", "Mine", new_id=True)
    assert done["id_assigned"] is True
    assert done["notebook_id"] != notebook_id
    assert done["checkpoint"]["seq"] == 1
    assert done["checkpoint"]["parent_id"] is None
    assert file_id(copy) == done["notebook_id"]
    assert file_id(original) == notebook_id
    # Both histories go on separately.
    again = await upload(jp_fetch, "orig.ipynb", "Original again")
    assert again["checkpoint"]["parent_id"] == first["checkpoint"]["id"]
    assert len((await listing(jp_fetch, "copy.ipynb"))["checkpoints"]) == 1
    assert len((await listing(jp_fetch, "orig.ipynb"))["checkpoints"]) == 2


async def test_a_moved_notebook_keeps_its_history(jp_fetch, jp_root_dir: Path) -> None:
    original = write_notebook(jp_root_dir / "before.ipynb", SIMPLE)
    first = await upload(jp_fetch, "before.ipynb", "Before the move")
    (jp_root_dir / "moved").mkdir()
    original.rename(jp_root_dir / "moved" / "after.ipynb")

    second = await upload(jp_fetch, "moved/after.ipynb", "After the move")
    assert second["id_assigned"] is False
    assert second["notebook_id"] == first["notebook_id"]
    assert second["checkpoint"]["seq"] == 2
    assert second["checkpoint"]["parent_id"] == first["checkpoint"]["id"]

    listed = await listing(jp_fetch, "moved/after.ipynb")
    assert [c["path"] for c in listed["checkpoints"]] == ["moved/after.ipynb", "before.ipynb"]
    notebooks = reply(await call(jp_fetch, "notebooks"))["notebooks"]
    assert [(n["path"], n["checkpoints"]) for n in notebooks] == [("moved/after.ipynb", 2)]


# -- concurrency and broken content ----------------------------------------------------------


async def test_two_uploads_of_a_new_notebook_at_once_are_both_stored_in_order(
    jp_fetch, jp_root_dir: Path
) -> None:
    path = write_notebook(jp_root_dir / "race.ipynb", SIMPLE)
    responses = await asyncio.gather(
        *(
            call(
                jp_fetch,
                "checkpoints",
                method="POST",
                body={"path": "race.ipynb", "message": f"Click {n}"},
            )
            for n in (1, 2)
        )
    )
    assert [r.code for r in responses] == [201, 201], [r.body for r in responses]
    made = sorted((reply(r)["checkpoint"] for r in responses), key=lambda c: c["seq"])
    assert [c["seq"] for c in made] == [1, 2]
    assert made[1]["parent_id"] == made[0]["id"]
    assert made[0]["notebook_id"] == made[1]["notebook_id"] == file_id(path)
    listed = await listing(jp_fetch, "race.ipynb")
    assert [c["id"] for c in listed["checkpoints"]] == [made[1]["id"], made[0]["id"]]


async def test_two_uploads_of_a_checkpointed_notebook_at_once_are_both_stored_in_order(
    jp_fetch, jp_root_dir: Path
) -> None:
    write_notebook(jp_root_dir / "race.ipynb", SIMPLE)
    first = await upload(jp_fetch, "race.ipynb", "First")
    responses = await asyncio.gather(
        *(
            call(
                jp_fetch,
                "checkpoints",
                method="POST",
                body={"path": "race.ipynb", "message": f"Click {n}"},
            )
            for n in range(4)
        )
    )
    assert [r.code for r in responses] == [201] * 4, [r.body for r in responses]
    made = sorted((reply(r)["checkpoint"] for r in responses), key=lambda c: c["seq"])
    assert [c["seq"] for c in made] == [2, 3, 4, 5]
    parents = [first["checkpoint"]["id"]] + [c["id"] for c in made[:-1]]
    assert [c["parent_id"] for c in made] == parents
    assert {c["notebook_id"] for c in made} == {first["notebook_id"]}


async def test_a_notebook_with_broken_outputs_is_stored_as_is(jp_fetch, jp_root_dir) -> None:
    broken = notebook_dict(
        "print('odd')",
        "1 + 1",
        "plot()",
        outputs=[
            [{"output_type": "hologram", "data": {"text/plain": "?"}, "extra": [1, 2]}],
            [{"output_type": "stream", "name": "stdout", "text": 42}],
            [
                {"output_type": "display_data", "metadata": {}},
                {"output_type": "error", "ename": "E", "evalue": None, "traceback": "nope"},
            ],
        ],
    )
    path = write_notebook(jp_root_dir / "broken.ipynb", broken)
    done = await upload(jp_fetch, "broken.ipynb", "Broken outputs")
    stored = await content_of(jp_fetch, done["checkpoint"]["id"])

    expected = json.loads(json.dumps(broken))
    expected["metadata"]["nepnb"] = {"notebook_id": done["notebook_id"]}
    assert [c["outputs"] for c in stored["cells"]] == [c["outputs"] for c in expected["cells"]]
    assert stored == expected
    # The file itself still holds the same outputs (only the id was added).
    assert json.loads(path.read_text(encoding="utf-8"))["cells"][1]["outputs"][0]["text"] == 42

    # A second checkpoint of the broken notebook, and a comparison, work too.
    changed = json.loads(path.read_text(encoding="utf-8"))
    changed["cells"][1]["outputs"][0]["text"] = 43
    path.write_text(json.dumps(changed), encoding="utf-8")
    second = await upload(jp_fetch, "broken.ipynb", "Still broken")
    response = await call(
        jp_fetch,
        "compare",
        params={"a": done["checkpoint"]["id"], "b": second["checkpoint"]["id"]},
    )
    assert response.code == 200, response.body
    assert reply(response)["summary"]["changed"] == 1


# -- authentication and XSRF ----------------------------------------------------------------


def set_cookies(response: HTTPResponse) -> dict[str, str]:
    cookies = {}
    for header in response.headers.get_list("Set-Cookie"):
        name, _, rest = header.partition("=")
        cookies[name] = rest.split(";", 1)[0]
    return cookies


async def test_cookie_authenticated_post_needs_the_xsrf_header(
    jp_fetch, jp_serverapp, jp_root_dir: Path
) -> None:
    write_notebook(jp_root_dir / "xsrf.ipynb", SIMPLE)
    no_token = {"Authorization": ""}
    # As a browser: the login page hands out the _xsrf cookie, the token in the URL once
    # gives the login cookie; after that only cookies are sent.
    page = await jp_fetch("login", headers=no_token, raise_error=False, follow_redirects=False)
    xsrf = set_cookies(page)["_xsrf"]
    login = await jp_fetch(
        *API, "health", params={"token": jp_serverapp.identity_provider.token}, headers=no_token
    )
    [(login_name, login_value)] = [
        (k, v) for k, v in set_cookies(login).items() if k.startswith("username-")
    ]
    cookies = f"{login_name}={login_value}; _xsrf={xsrf}"
    body = {"path": "xsrf.ipynb", "message": "From a browser"}

    # A cookie-authenticated GET needs no XSRF header.
    response = await call(jp_fetch, "notebooks", headers={**no_token, "Cookie": cookies})
    assert response.code == 200, response.body

    for extra in ({}, {"X-XSRFToken": "2|00000000|" + "ab" * 16 + "|1"}):
        refused = await call(
            jp_fetch,
            "checkpoints",
            method="POST",
            body=body,
            headers={**no_token, "Cookie": cookies, **extra},
        )
        assert refused.code == 403, refused.body
        assert "xsrf" in error_message(refused, 403).lower()
    assert file_id(jp_root_dir / "xsrf.ipynb") is None
    assert reply(await call(jp_fetch, "notebooks"))["notebooks"] == []

    accepted = await call(
        jp_fetch,
        "checkpoints",
        method="POST",
        body=body,
        headers={**no_token, "Cookie": cookies, "X-XSRFToken": xsrf},
    )
    assert accepted.code == 201, accepted.body
    data = reply(accepted)
    assert data["checkpoint"]["summary"] == "From a browser"
    assert not data["checkpoint"]["author"].startswith("Anonymous")  # one identity, see below
    assert file_id(jp_root_dir / "xsrf.ipynb") == data["notebook_id"]

    # The restore endpoint is protected the same way.
    restore = ("checkpoints", data["checkpoint"]["id"], "restore")
    response = await call(
        jp_fetch, *restore, method="POST", headers={**no_token, "Cookie": cookies}
    )
    assert response.code == 403
    response = await call(
        jp_fetch,
        *restore,
        method="POST",
        headers={**no_token, "Cookie": cookies, "X-XSRFToken": xsrf},
    )
    assert response.code == 201, response.body

    # The XSRF pair alone, without the login cookie, is not enough.
    response = await call(
        jp_fetch,
        "checkpoints",
        method="POST",
        body=body,
        headers={**no_token, "Cookie": f"_xsrf={xsrf}", "X-XSRFToken": xsrf},
    )
    assert response.code == 403
    assert len((await listing(jp_fetch, "xsrf.ipynb"))["checkpoints"]) == 1


# -- any contents manager -------------------------------------------------------------------


@pytest.mark.parametrize(
    "manager",
    [
        "jupyter_server.services.contents.largefilemanager.AsyncLargeFileManager",
        pytest.param(
            "jupyter_server.services.contents.largefilemanager.LargeFileManager",
            marks=pytest.mark.filterwarnings("ignore:The synchronous ContentsManager"),
        ),
    ],
)
class TestAnyContentsManager:
    @pytest.fixture
    def jp_server_config(self, jp_server_config: dict[str, Any], manager: str) -> dict[str, Any]:
        return {
            **jp_server_config,
            "ServerApp": {**jp_server_config["ServerApp"], "contents_manager_class": manager},
        }

    async def test_upload_list_restore(
        self, jp_fetch, jp_serverapp, jp_root_dir: Path, manager: str
    ) -> None:
        assert type(jp_serverapp.contents_manager).__name__ == manager.rsplit(".", 1)[1]
        path = write_notebook(jp_root_dir / "cm.ipynb", SIMPLE)
        first = await upload(jp_fetch, "cm.ipynb", "Through another manager")
        assert file_id(path) == first["notebook_id"]
        second = await upload(jp_fetch, "cm.ipynb", "Again")
        assert second["checkpoint"]["parent_id"] == first["checkpoint"]["id"]
        listed = await listing(jp_fetch, "cm.ipynb")
        assert [c["seq"] for c in listed["checkpoints"]] == [2, 1]
        stored = await content_of(jp_fetch, first["checkpoint"]["id"])
        assert [(c["source"], c["outputs"]) for c in stored["cells"]] == [
            (c["source"], c["outputs"]) for c in SIMPLE["cells"]
        ]
        assert stored["metadata"]["nepnb"]["notebook_id"] == first["notebook_id"]
        response = await call(
            jp_fetch, "checkpoints", first["checkpoint"]["id"], "restore", method="POST"
        )
        assert response.code == 201, response.body
        assert on_disk(jp_root_dir / reply(response)["path"])["cells"] == SIMPLE["cells"]
