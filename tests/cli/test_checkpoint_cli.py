"""`nepnb checkpoint upload|list|diff|restore` as real subprocesses on real notebook files.

Every command that writes a notebook or diffs changed cells imports nbformat, which takes
seconds here; so most notebooks are written with a notebook id already in their metadata
(as a notebook checkpointed from Jupyter has) and only the tests about the first upload
start without one.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import nbformat
import pytest

from nepnb.notebooks import Checkpoints, read_notebook
from nepnb.store.local import LocalStore
from tests.helpers.cli import run_cli
from tests.helpers.nbrun import (
    SIMPLE,
    file_id,
    nbformat3_notebook,
    notebook_dict,
    on_disk,
    stream,
    write_notebook,
)

ANSI = re.compile(r"\x1b\[[0-9;]*m")


# -- helpers --------------------------------------------------------------------------------


def with_id(notebook: dict[str, Any]) -> dict[str, Any]:
    """The notebook with a nepnb notebook id in its metadata, as after a first checkpoint."""
    copy = json.loads(json.dumps(notebook))
    copy["metadata"]["nepnb"] = {"notebook_id": uuid.uuid4().hex}
    return copy


def edit(path: Path, index: int, source: str | None = None, outputs: list | None = None) -> None:
    """Change one cell of the notebook file, as a user saving it would."""
    notebook = on_disk(path)
    if source is not None:
        notebook["cells"][index]["source"] = source
    if outputs is not None:
        notebook["cells"][index]["outputs"] = outputs
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")


def ok(*args: str) -> subprocess.CompletedProcess[str]:
    result = run_cli(*args)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    return result


def upload(path: Path, message: str, *extra: str) -> str:
    """Upload a checkpoint with the CLI; the checkpoint id it printed."""
    result = ok("checkpoint", "upload", str(path), "-m", message, "--author", "ada", *extra)
    found = re.match(r"Checkpoint ([0-9a-f]{12}) of ", result.stdout)
    assert found, result.stdout
    return found.group(1)


def failed(result: subprocess.CompletedProcess[str], *fragments: str) -> str:
    """Check a clean failure: exit 1, one line `nepnb: error: ...` naming ``fragments``."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("nepnb: error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    return lines[0]


def list_ids(path: Path) -> list[dict[str, Any]]:
    return json.loads(ok("checkpoint", "list", str(path), "--json").stdout)


pytestmark = pytest.mark.usefixtures("default_project")


# -- upload and list ------------------------------------------------------------------------


def test_upload_writes_the_id_into_the_file_and_prints_the_checkpoint_id(work: Path) -> None:
    path = write_notebook(work / "analysis.ipynb", SIMPLE)
    result = ok(
        "checkpoint", "upload", str(path), "-m", "Baseline\n\nNo dropout yet.", "--run", "CLS-7"
    )
    found = re.match(r"Checkpoint ([0-9a-f]{12}) of .*analysis\.ipynb: Baseline\n", result.stdout)
    assert found, result.stdout
    first = found.group(1)
    notebook_id = file_id(path)
    assert notebook_id and re.fullmatch(r"[0-9a-f]{32}", notebook_id)
    assert f"notebook id {notebook_id} written to" in result.stdout
    assert "the first checkpoint" in result.stdout
    assert "linked runs: CLS-7" in result.stdout
    assert on_disk(path)["cells"] == SIMPLE["cells"], "only the id is added to the file"
    nbformat.validate(nbformat.read(path, as_version=4))

    before = path.read_bytes()
    result = ok("checkpoint", "upload", str(path), "-m", "Again", "--author", "bob")
    assert f"follows {first}" in result.stdout
    assert "written to" not in result.stdout
    assert path.read_bytes() == before, "a notebook with an id is not rewritten"

    [newest, oldest] = list_ids(path)
    assert oldest["id"] == first
    assert (oldest["summary"], oldest["body"], oldest["runs"]) == (
        "Baseline",
        "No dropout yet.",
        ["CLS-7"],
    )
    assert oldest["author"]  # git user.name or the login name
    assert (newest["seq"], newest["parent_id"], newest["author"]) == (2, first, "bob")
    assert newest["path"] == str(path.resolve())


def test_list_shows_newest_first(work: Path) -> None:
    path = write_notebook(work / "nb.ipynb", with_id(SIMPLE))
    result = ok("checkpoint", "list", str(path))
    assert "No checkpoints" in result.stdout

    ids = []
    for number in range(3):
        ids.append(upload(path, f"Step {number}"))
        edit(path, 1, source=f"print(x + {number})")

    lines = ok("checkpoint", "list", str(path)).stdout.strip().splitlines()
    assert len(lines) == 3
    assert [line.split()[0] for line in lines] == ids[::-1]
    assert [line.rsplit("  ", 1)[-1] for line in lines] == ["Step 2", "Step 1", "Step 0"]
    assert all("ada" in line for line in lines)
    listed = list_ids(path)
    assert [c["id"] for c in listed] == ids[::-1]
    assert [c["seq"] for c in listed] == [3, 2, 1]
    assert [c["parent_id"] for c in listed] == [ids[1], ids[0], None]


# -- diff -----------------------------------------------------------------------------------


@pytest.mark.slow
def test_diff_two_checkpoints_against_the_file_colored_without_outputs_and_as_json(
    work: Path,
) -> None:
    # Three diff runs only: each one takes seconds to import nbdime.
    path = write_notebook(work / "cmp.ipynb", with_id(SIMPLE))
    first = upload(path, "Before")
    edit(path, 2, source="y = math.sqrt(x) * 2\nprint(y)", outputs=[stream("2.0\n")])
    edit(path, 1, outputs=[stream("1\nagain\n")])  # an output-only change
    second = upload(path, "After")

    data = json.loads(ok("checkpoint", "diff", str(path), first, second, "--json").stdout)
    assert data["summary"] == {
        "added": 0,
        "removed": 0,
        "moved": 0,
        "changed": 2,
        "unchanged": 1,
        "metadata": 0,
    }
    assert data["outputs_compared"] is True
    assert (data["a"], data["b"]) == (
        f"checkpoint {first[:8]} (Before)",
        f"checkpoint {second[:8]} (After)",
    )
    changed = [c for c in data["cells"] if c["status"] != "unchanged"]
    assert [(c["b_index"], c["changed_parts"]) for c in changed] == [
        (1, ["outputs"]),
        (2, ["source", "outputs"]),
    ]
    ops = {op["op"]: op.get("lines") for op in changed[1]["source_diff"]}
    assert (ops["delete"], ops["insert"]) == (["y = math.sqrt(x)"], ["y = math.sqrt(x) * 2"])

    colored = ok(
        "checkpoint", "diff", str(path), first[:5], second[:5], "--no-outputs", "--color", "always"
    ).stdout
    assert "\x1b[31m- y = math.sqrt(x)\x1b[0m" in colored
    assert "\x1b[32m+ y = math.sqrt(x) * 2\x1b[0m" in colored
    hidden = ANSI.sub("", colored)
    assert "(outputs not compared)" in hidden
    assert "Summary: 1 changed; 2 unchanged" in hidden
    assert "## cell 3 [code] changed (source)" in hidden
    assert "cell 2 " not in hidden, "the output-only change is hidden"
    assert "2.0" not in hidden

    # Against the notebook on disk, edited since the last checkpoint.
    edit(path, 0, source="import math\nx = 4")
    edit(path, 2, outputs=[stream("2.0\n4.0\n")])
    plain = ok("checkpoint", "diff", str(path), second).stdout
    assert not ANSI.search(plain), "no color when stdout is not a terminal"
    assert f"--- checkpoint {second[:8]} (After)" in plain
    assert "+++ current notebook" in plain
    assert "Summary: 2 changed; 1 unchanged" in plain
    assert "## cell 1 [code] changed (source)" in plain
    assert "## cell 3 [code] changed (outputs)" in plain
    assert "cell 2 " not in plain, "unchanged cells are left out"
    lines = plain.splitlines()
    assert "- x = 1" in lines
    assert "+ x = 4" in lines
    assert "  import math" in lines
    assert "    + 4.0" in lines
    assert "    - 2.0" not in lines

    # Nothing changed since a checkpoint.
    third = upload(path, "Third")
    assert "Summary: no changes" in ok("checkpoint", "diff", str(path), third).stdout


# -- restore --------------------------------------------------------------------------------


def test_restore_writes_a_new_file_and_never_overwrites(work: Path) -> None:
    path = write_notebook(work / "model.ipynb", with_id(SIMPLE))
    checkpoint_id = upload(path, "Before the change")
    stored = on_disk(path)
    edit(path, 0, source="import math\nx = 2")
    current = path.read_bytes()

    result = ok("checkpoint", "restore", str(path), checkpoint_id[:6])
    first = work / f"model.checkpoint-{checkpoint_id[:8]}.ipynb"
    assert str(first) in result.stdout
    assert first.exists()
    restored = on_disk(first)
    assert restored["cells"] == stored["cells"]
    assert restored["metadata"]["nepnb"]["restored_from"] == checkpoint_id
    assert path.read_bytes() == current, "the original is left alone"
    first_bytes = first.read_bytes()

    result = ok("checkpoint", "restore", str(path), checkpoint_id)
    others = sorted(set(work.glob("model.checkpoint-*.ipynb")) - {first})
    assert len(others) == 1, others
    assert str(others[0]) in result.stdout
    assert first.read_bytes() == first_bytes
    assert on_disk(others[0])["cells"] == stored["cells"]


def test_restore_to_an_existing_file_fails_cleanly(work: Path) -> None:
    path = write_notebook(work / "keep.ipynb", with_id(SIMPLE))
    checkpoint_id = upload(path, "Keep")
    precious = write_notebook(work / "precious.ipynb", notebook_dict("precious = True"))
    before = precious.read_bytes()
    original = path.read_bytes()

    for target in (precious, path):
        result = run_cli("checkpoint", "restore", str(path), checkpoint_id, "--to", str(target))
        failed(result, str(target), "exists", "never overwrites")
        assert result.stdout == ""
    assert precious.read_bytes() == before
    assert path.read_bytes() == original
    assert sorted(p.name for p in work.iterdir()) == ["keep.ipynb", "precious.ipynb"]


def test_restore_to_a_path_that_cannot_be_written_fails_cleanly(work: Path) -> None:
    path = write_notebook(work / "keep.ipynb", with_id(SIMPLE))
    checkpoint_id = upload(path, "Keep")
    # A --to inside a regular file: a one-line error naming the path, not a traceback.
    inside_a_file = path / "restored.ipynb"
    result = run_cli("checkpoint", "restore", str(path), checkpoint_id, "--to", str(inside_a_file))
    failed(result, "keep.ipynb")
    assert result.stdout == ""


# -- bad input ------------------------------------------------------------------------------


def _upload(name: str, *extra: str) -> Any:
    return lambda w: ["checkpoint", "upload", str(w / name), "-m", "m", *extra]


BAD_INPUT: dict[str, tuple[Any, list[str]]] = {
    "missing file": (_upload("nowhere.ipynb"), ["nowhere.ipynb", "does not exist"]),
    "missing file for list": (
        lambda w: ["checkpoint", "list", str(w / "nowhere.ipynb")],
        ["nowhere.ipynb", "does not exist"],
    ),
    "missing file for diff": (
        lambda w: ["checkpoint", "diff", str(w / "nowhere.ipynb"), "abcd"],
        ["nowhere.ipynb"],
    ),
    "not .ipynb": (_upload("notes.txt"), ["notes.txt", "not a notebook (.ipynb)"]),
    "a folder": (_upload("folder.ipynb"), ["folder.ipynb", "folder"]),
    "invalid JSON": (_upload("broken.ipynb"), ["broken.ipynb", "invalid JSON", "line 1"]),
    "not UTF-8": (_upload("binary.ipynb"), ["binary.ipynb", "UTF-8"]),
    "JSON that is not a notebook": (_upload("list.ipynb"), ["list.ipynb", "not a notebook"]),
    "a future nbformat": (_upload("future.ipynb"), ["future.ipynb", "nbformat 5"]),
    "empty message": (
        lambda w: ["checkpoint", "upload", str(w / "good.ipynb"), "-m", ""],
        ["message is empty"],
    ),
    "blank message": (
        lambda w: ["checkpoint", "upload", str(w / "good.ipynb"), "-m", "  \n  "],
        ["message is empty"],
    ),
    "huge summary": (
        lambda w: ["checkpoint", "upload", str(w / "good.ipynb"), "-m", "s" * 600],
        ["600", "512"],
    ),
    "huge body": (_upload("good.ipynb", "--body", "b" * 70_000), ["65536"]),
    "bad project": (_upload("good.ipynb", "--project", "flat"), ["workspace/project"]),
    "unknown id (restore)": (
        lambda w: ["checkpoint", "restore", str(w / "good.ipynb"), "0123456789ab"],
        ["no checkpoint", "0123456789ab"],
    ),
    "unknown id (diff)": (
        lambda w: ["checkpoint", "diff", str(w / "good.ipynb"), "deadbeef"],
        ["no checkpoint", "deadbeef"],
    ),
    "short id": (
        lambda w: ["checkpoint", "restore", str(w / "good.ipynb"), "abc"],
        ["'abc'", "at least 4"],
    ),
    "not a hex id": (
        lambda w: ["checkpoint", "diff", str(w / "good.ipynb"), "zzzzzz"],
        ["'zzzzzz'", "at least 4"],
    ),
}


@pytest.fixture
def bad_files(work: Path) -> Path:
    (work / "notes.txt").write_text("not a notebook", encoding="utf-8")
    (work / "folder.ipynb").mkdir()
    (work / "broken.ipynb").write_text('{"cells": [', encoding="utf-8")
    (work / "binary.ipynb").write_bytes(b'{"cells": "\xe9\xff"}')
    (work / "list.ipynb").write_text("[1, 2]", encoding="utf-8")
    write_notebook(work / "future.ipynb", {**SIMPLE, "nbformat": 5})
    write_notebook(work / "good.ipynb", SIMPLE)
    return work


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_a_one_line_error(bad_files: Path, nepnb_home: Path, case: str) -> None:
    args, fragments = BAD_INPUT[case]
    files_before = {p: p.read_bytes() for p in bad_files.iterdir() if p.is_file()}
    result = run_cli(*args(bad_files))
    failed(result, *fragments)
    assert result.stdout == ""
    # Nothing was written: no id in a notebook, no new file, no checkpoint.
    assert {p: p.read_bytes() for p in bad_files.iterdir() if p.is_file()} == files_before
    assert Checkpoints(LocalStore(nepnb_home), "local/default").notebooks() == []


def test_an_ambiguous_id_prefix_is_refused(nepnb_home: Path, work: Path) -> None:
    path = write_notebook(work / "many.ipynb", with_id(SIMPLE))
    checkpoints = Checkpoints(LocalStore(nepnb_home), "local/default")
    notebook = read_notebook(path)
    seen: dict[str, str] = {}
    for number in range(5000):
        made = checkpoints.upload(notebook, path=str(path), message=f"n{number}", author="t")
        prefix = made.checkpoint.id[:4]
        if prefix in seen:
            break
        seen[prefix] = made.checkpoint.id
    else:
        pytest.fail("5000 checkpoints without two ids sharing their first 4 characters")

    result = run_cli("checkpoint", "restore", str(path), prefix)
    failed(result, repr(prefix), "several checkpoints", "more of its characters")
    assert not list(work.glob("*.checkpoint-*"))
    # The whole id picks one.
    result = ok("checkpoint", "diff", str(path), seen[prefix])
    assert f"--- checkpoint {seen[prefix][:8]}" in result.stdout


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["checkpoint", "upload", "x.ipynb"], "-m/--message"),
        (["checkpoint", "diff", "x.ipynb", "abcd", "--color", "sometimes"], "--color"),
        (["checkpoint", "diff", "x.ipynb", "abcd", "--context", "many"], "--context"),
        (["checkpoint", "restore", "x.ipynb"], "ID"),
        (["checkpoint", "frobnicate"], "frobnicate"),
        (["checkpoint"], "ACTION"),
    ],
)
def test_usage_errors_exit_2(args: list[str], fragment: str) -> None:
    result = run_cli(*args)
    assert result.returncode == 2, result
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("usage: nepnb checkpoint")
    last = result.stderr.strip().splitlines()[-1]
    assert "error:" in last
    assert fragment in last


# -- odd but valid notebooks ----------------------------------------------------------------


@pytest.mark.slow
def test_an_old_nbformat_is_upgraded(work: Path) -> None:
    old = nbformat3_notebook()
    path = write_notebook(work / "old.ipynb", old)
    checkpoint_id = upload(path, "From 2014")
    target = work / "restored" / "old.ipynb"
    ok("checkpoint", "restore", str(path), checkpoint_id, "--to", str(target))
    restored = on_disk(target)
    assert restored["nbformat"] == 4
    assert [c["source"] for c in restored["cells"]] == ["# Old", "print('hi')"]
    assert restored["cells"][1]["outputs"] == [stream("hi\n")]
    assert restored["cells"][1]["execution_count"] == 1


def test_a_notebook_with_broken_outputs_is_stored_as_is(nepnb_home: Path, work: Path) -> None:
    broken = with_id(
        notebook_dict(
            "print('odd')",
            "1 + 1",
            outputs=[
                [{"output_type": "hologram", "data": {"text/plain": "?"}, "extra": [1, 2]}],
                [{"output_type": "stream", "name": "stdout", "text": 42}],
            ],
        )
    )
    path = write_notebook(work / "broken.ipynb", broken)
    checkpoint_id = upload(path, "Broken outputs")
    stored = Checkpoints(LocalStore(nepnb_home), "local/default").content(checkpoint_id)
    assert stored == broken

    ok("checkpoint", "restore", str(path), checkpoint_id, "--to", str(work / "back.ipynb"))
    back = json.loads((work / "back.ipynb").read_text(encoding="utf-8"))
    assert [c["outputs"] for c in back["cells"]] == [c["outputs"] for c in broken["cells"]]
    assert ["".join(c["source"]) for c in back["cells"]] == ["print('odd')", "1 + 1"]


def test_two_uploads_at_once_are_both_stored_in_order(work: Path) -> None:
    path = write_notebook(work / "race.ipynb", with_id(SIMPLE))
    first = upload(path, "First")
    exe = shutil.which("nepnb", path=str(Path(sys.executable).parent))
    assert exe
    processes = [
        subprocess.Popen(
            [exe, "checkpoint", "upload", str(path), "-m", f"At once {n}", "--author", "ci"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=60)
        assert process.returncode == 0, stderr
    listed = list_ids(path)
    assert [c["seq"] for c in listed] == [4, 3, 2, 1]
    assert [c["parent_id"] for c in listed] == [c["id"] for c in listed[1:]] + [None]
    assert listed[-1]["id"] == first
    assert {c["summary"] for c in listed[:3]} == {"At once 0", "At once 1", "At once 2"}


# -- copies and moves -----------------------------------------------------------------------


def test_a_copied_notebook_is_detected_then_given_its_own_history(work: Path) -> None:
    original = write_notebook(work / "orig.ipynb", with_id(SIMPLE))
    first = upload(original, "Original")
    notebook_id = file_id(original)
    copy = work / "copy.ipynb"
    shutil.copy(original, copy)
    copy_before = copy.read_bytes()

    result = run_cli("checkpoint", "upload", str(copy), "-m", "Mine", "--author", "ada")
    failed(result, "looks like a copy", "orig.ipynb", "--new-id")
    assert copy.read_bytes() == copy_before
    assert [c["id"] for c in list_ids(original)] == [first]

    result = ok("checkpoint", "upload", str(copy), "-m", "Mine", "--new-id", "--author", "ada")
    assert "the first checkpoint" in result.stdout
    new_id = file_id(copy)
    assert new_id and new_id != notebook_id
    assert f"notebook id {new_id} written" in result.stdout
    assert file_id(original) == notebook_id
    assert [c["summary"] for c in list_ids(copy)] == ["Mine"]

    # Both histories go on separately.
    second = upload(original, "Original again")
    assert [c["id"] for c in list_ids(original)] == [second, first]
    assert len(list_ids(copy)) == 1


def test_a_moved_notebook_keeps_its_history(work: Path) -> None:
    original = write_notebook(work / "before.ipynb", with_id(SIMPLE))
    first = upload(original, "Before the move")
    notebook_id = file_id(original)
    moved = work / "sub" / "after.ipynb"
    moved.parent.mkdir()
    original.rename(moved)

    result = ok("checkpoint", "upload", str(moved), "-m", "After the move", "--author", "ada")
    assert f"follows {first}" in result.stdout
    assert file_id(moved) == notebook_id

    lines = ok("checkpoint", "list", str(moved)).stdout.strip().splitlines()
    assert [line.rsplit("  ", 1)[-1] for line in lines] == ["After the move", "Before the move"]
    listed = list_ids(moved)
    assert [c["path"] for c in listed] == [str(moved.resolve()), str(original.resolve())]
    assert "Summary: no changes" in ok("checkpoint", "diff", str(moved), first).stdout


@pytest.mark.slow
def test_diff_exit_code_says_whether_versions_differ(tmp_path: Path) -> None:
    path = write_notebook(tmp_path / "ci.ipynb", notebook_dict("x = 1"))
    first = run_cli("checkpoint", "upload", str(path), "-m", "First")
    assert first.returncode == 0, first.stderr
    checkpoint_id = first.stdout.split()[1]
    same = run_cli("checkpoint", "diff", str(path), checkpoint_id, "--exit-code")
    assert same.returncode == 0 and "no changes" in same.stdout
    notebook = json.loads(path.read_text())
    notebook["cells"][0]["source"] = "x = 2"
    path.write_text(json.dumps(notebook))
    changed = run_cli("checkpoint", "diff", str(path), checkpoint_id, "--exit-code")
    assert changed.returncode == 1 and "+ x = 2" in changed.stdout
    assert run_cli("checkpoint", "diff", str(path), checkpoint_id).returncode == 0


@pytest.mark.slow
def test_diff_exit_code_counts_an_execution_count_change_as_the_summary_does(
    tmp_path: Path,
) -> None:
    path = write_notebook(tmp_path / "ci.ipynb", notebook_dict("x = 1", outputs=[[stream("1\n")]]))
    first = run_cli("checkpoint", "upload", str(path), "-m", "First")
    assert first.returncode == 0, first.stderr
    checkpoint_id = first.stdout.split()[1]
    notebook = json.loads(path.read_text())
    notebook["cells"][0]["execution_count"] = 7  # run again, out of order: Out[7]
    path.write_text(json.dumps(notebook))

    changed = run_cli("checkpoint", "diff", str(path), checkpoint_id, "--exit-code")
    assert changed.returncode == 1, changed.stdout
    assert "Summary: 1 changed; 0 unchanged" in changed.stdout
    assert "execution count 1 → 7" in changed.stdout
    as_json = run_cli("checkpoint", "diff", str(path), checkpoint_id, "--json", "--exit-code")
    assert as_json.returncode == 1 and json.loads(as_json.stdout)["identical"] is False
    # sources only: counts go with the outputs, so the versions are the same
    sources = run_cli("checkpoint", "diff", str(path), checkpoint_id, "--no-outputs", "--exit-code")
    assert sources.returncode == 0 and "Summary: no changes" in sources.stdout
