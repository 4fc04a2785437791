"""The identity rule (nepnb.notebooks.identity): which history a notebook file belongs to when
tools write it without its id, when it is a copy, and when it is another file renamed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from nepnb.exceptions import NotebookIdentityConflict
from nepnb.notebooks import Checkpoints, notebook_id_of
from nepnb.store.local import LocalStore
from tests.helpers.nbrun import notebook_dict, stream


def version(n: int) -> dict[str, Any]:
    """Version ``n`` of a notebook, as a tool would write it: no nepnb id."""
    return notebook_dict("import math", f"print({n})", outputs=[[], [stream(f"{n}\n")]])


def other_notebook() -> dict[str, Any]:
    return notebook_dict("# quite another notebook", "print('other')")


@pytest.fixture
def checkpoints(tmp_path: Path) -> Checkpoints:
    return Checkpoints(LocalStore(tmp_path / "store"), "team/nb")


def upload(checkpoints: Checkpoints, notebook: dict[str, Any], path: str, **options: Any):
    return checkpoints.upload(notebook, path=path, message="msg", author="ada", **options)


def nobody_else_has_it(path: str, notebook_id: str) -> bool:
    return False


def test_a_version_without_the_id_written_over_the_path_continues_its_history(
    checkpoints: Checkpoints,
) -> None:
    first = upload(checkpoints, version(1), "a.ipynb")
    identity = checkpoints.identify(version(2), path="a.ipynb", file_check=nobody_else_has_it)
    assert (identity.notebook_id, identity.assigned, identity.reason) == (
        first.notebook_id,
        True,
        "path",
    )
    assert notebook_id_of(identity.notebook) == first.notebook_id
    second = upload(checkpoints, version(2), "a.ipynb", identity=identity)
    assert second.checkpoint.parent_id == first.checkpoint.id
    assert [n.checkpoints for n in checkpoints.notebooks()] == [2]
    assert checkpoints.history_id(version(3), "a.ipynb") == first.notebook_id


def test_the_same_file_under_another_spelling_continues_its_history(
    checkpoints: Checkpoints, tmp_path: Path
) -> None:
    absolute = str(tmp_path / "a.ipynb")  # as the CLI and the kernel record it
    first = upload(checkpoints, version(1), absolute)
    identity = checkpoints.identify(version(2), path="a.ipynb", also_at=[absolute])
    assert identity.notebook_id == first.notebook_id and identity.reason == "path"
    assert checkpoints.history_id(version(2), "a.ipynb", absolute) == first.notebook_id


def test_a_new_path_without_an_id_starts_a_history(checkpoints: Checkpoints) -> None:
    upload(checkpoints, version(1), "a.ipynb")
    identity = checkpoints.identify(version(1), path="b.ipynb")
    assert identity.reason == "new" and identity.assigned
    assert identity.notebook_id != checkpoints.notebooks()[0].notebook_id
    assert checkpoints.history_id(version(1), "b.ipynb") is None


def test_new_id_starts_a_history_even_where_one_is_kept(checkpoints: Checkpoints) -> None:
    first = upload(checkpoints, version(1), "a.ipynb")
    identity = checkpoints.identify(version(2), path="a.ipynb", new_id=True)
    assert identity.reason == "new" and identity.notebook_id != first.notebook_id


def test_a_copy_of_another_notebook_over_a_path_with_a_history_is_another_notebook(
    checkpoints: Checkpoints,
) -> None:
    here = upload(checkpoints, version(1), "a.ipynb")
    other = upload(checkpoints, other_notebook(), "other.ipynb")
    still_there = lambda path, nid: path == "other.ipynb"  # noqa: E731
    # `cp other.ipynb a.ipynb`: neither a.ipynb's history nor other's, without asking
    with pytest.raises(NotebookIdentityConflict, match="looks like a copy"):
        checkpoints.identify(other.notebook, path="a.ipynb", file_check=still_there)
    own = checkpoints.identify(other.notebook, path="a.ipynb", file_check=still_there, new_id=True)
    assert own.notebook_id not in (here.notebook_id, other.notebook_id)
    same = checkpoints.identify(
        other.notebook, path="a.ipynb", file_check=still_there, same_history=True
    )
    assert same.notebook_id == other.notebook_id and not same.assigned


def test_a_copy_at_a_new_path_gets_its_own_history_where_nobody_can_be_asked(
    checkpoints: Checkpoints,
) -> None:
    original = upload(checkpoints, version(1), "a.ipynb")
    still_there = lambda path, nid: path == "a.ipynb"  # noqa: E731
    first = checkpoints.identify(
        original.notebook, path="copy.ipynb", file_check=still_there, on_copy="own"
    )
    assert first.reason == "copy_own" and first.notebook_id != original.notebook_id
    upload(checkpoints, original.notebook, "copy.ipynb", identity=first)
    # the file still carries the original's id (a kernel cannot write it): the copy's history
    again = checkpoints.identify(
        original.notebook, path="copy.ipynb", file_check=still_there, on_copy="own"
    )
    assert again.notebook_id == first.notebook_id
    assert len(checkpoints.history(original.notebook_id)) == 1


def test_another_notebook_renamed_over_a_path_keeps_its_own_history(
    checkpoints: Checkpoints,
) -> None:
    upload(checkpoints, version(1), "a.ipynb")
    other = upload(checkpoints, other_notebook(), "other.ipynb")
    # `mv other.ipynb a.ipynb`: the file is the other notebook, moved
    identity = checkpoints.identify(other.notebook, path="a.ipynb", file_check=nobody_else_has_it)
    assert (identity.notebook_id, identity.reason, identity.assigned) == (
        other.notebook_id,
        "moved",
        False,
    )
