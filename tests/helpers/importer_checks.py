"""Value-by-value checks of what the scenario (scripts/scenario.py) logged, read back from a
nepnb object: the same checks for a run imported from Neptune data and a run nepnb wrote."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from nepnb.client.values import local_datetimes
from tests.importers.scripts import scenario as S


def check_atoms(run: Any, init_sent: bool = False) -> None:
    """``init_sent``: what init_run wrote (name, description, first tags) reached Neptune's
    server before it went away, so it is not in the folder."""
    for path, value in S.ATOMS.items():
        got = run[path].fetch()
        if path == "params/started":
            assert got.timestamp() == value.timestamp(), path
        else:
            assert got == value and type(got) is type(value), (path, got, value)
    assert run["nested"].fetch() == S.NESTED
    assert not run.exists("temporary")  # deleted after it was assigned
    if not init_sent:
        assert run["sys/name"].fetch() == "scenario"
        assert run["sys/description"].fetch() == "every field type"
    initial = set() if init_sent else set(S.TAGS)
    expected_tags = (initial | set(S.TAGS_ADDED)) - set(S.TAGS_REMOVED)
    assert run["sys/tags"].fetch() == expected_tags


def check_series(run: Any) -> None:
    loss = run["metrics/loss"].fetch_values()
    assert loss["step"].tolist() == [step for step, _, _ in S.FLOATS]
    assert loss["value"].tolist() == [value for _, value, _ in S.FLOATS]
    stamps = local_datetimes(np.array([stamp for _, _, stamp in S.FLOATS]))
    assert (loss["timestamp"].to_numpy() == stamps).all()
    default = run["metrics/default"].fetch_values(include_timestamp=False)
    assert default["step"].tolist() == list(range(len(S.DEFAULT_STEP_FLOATS)))
    assert default["value"].tolist() == S.DEFAULT_STEP_FLOATS
    text = run["logs/text"].fetch_values(include_timestamp=False)
    assert text["step"].tolist() == [step for step, _ in S.STRINGS]
    assert text["value"].tolist() == [value for _, value in S.STRINGS]


def check_files(run: Any, tmp: Path, images: list[str | None], moved: bool = False) -> None:
    """``moved``: the .neptune folder was moved away from where its process ran, so the file
    set is named relative to the uploaded folder itself."""
    run["files/single"].download(str(tmp / "single.txt"))
    assert (tmp / "single.txt").read_text() == S.FILES["data/a.txt"]
    assert run["files/single"].fetch_extension() == "txt"
    run["files/content"].download(str(tmp / "content.txt"))
    assert (tmp / "content.txt").read_text() == S.CONTENT
    # Named relative to the process's folder, as the Neptune client names a folder inside it
    root = "" if moved else "data"
    listed = {(e.name, e.file_type) for e in run["files/set"].list_fileset_files(root or None)}
    assert listed == {("a.txt", "file"), ("sub", "directory")}
    run["files/set"].download(str(tmp / "set.zip"))
    names = {name: name.removeprefix("data/") if moved else name for name in S.FILES}
    with zipfile.ZipFile(tmp / "set.zip") as archive:
        assert sorted(archive.namelist()) == sorted(names.values())
        for name, text in S.FILES.items():
            assert archive.read(names[name]).decode() == text
    run["images/samples"].download(str(tmp / "images"))
    for step, image in enumerate(images):
        data = (tmp / "images" / f"{step}.png").read_bytes()
        assert data.startswith(b"\x89PNG")
        if image is not None:  # the bytes the client made of the array
            assert data == bytes.fromhex(image)
    files = run["artifacts/data"].fetch_files_list()
    digest = hashlib.sha256(S.FILES["data/a.txt"].encode()).hexdigest()
    assert [(f.file_path, f.file_hash) for f in files] == [("a.txt", digest)]


def check_scenario(
    run: Any, tmp: Path, images: list[str | None], init_sent: bool = False, moved: bool = False
) -> None:
    """Everything the scenario logged, as it logged it (see ``check_atoms``, ``check_files``)."""
    check_atoms(run, init_sent)
    check_series(run)
    check_files(run, tmp, images, moved)


def user_fields(structure: dict[str, Any]) -> dict[str, Any]:
    """A structure without the namespaces each client fills on its own."""
    return {k: v for k, v in structure.items() if k not in ("sys", "source_code", "monitoring")}
