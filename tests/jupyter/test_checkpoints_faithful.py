"""Through a real Jupyter server: every test notebook of nbformat and nbdime comes back from
its checkpoint as it was uploaded ("Open as notebook" = restore, Download, ?content=1), and
writing the id keeps the file's mode; read-only and old-format files are not written."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import nbformat

from nepnb.notebooks.format import notebook_json
from tests.helpers.faithful import CORPUS, as_restored_from, corpus_id, expected_text
from tests.helpers.jupyter_api import call, content_of, reply, upload


def _readable(source: Path) -> bool:
    try:
        nbformat.reads(source.read_text(encoding="utf-8"), as_version=4)
    except nbformat.ValidationError:
        return False  # the contents manager refuses it as nbformat does
    return True


async def test_every_test_notebook_comes_back_as_uploaded_through_the_api(
    jp_fetch, jp_root_dir: Path
) -> None:
    failures = []
    for number, source in enumerate(s for s in CORPUS if _readable(s)):
        name = f"n{number}.ipynb"
        path = jp_root_dir / name
        shutil.copy(source, path)
        done = await upload(jp_fetch, name)
        uploaded = path.read_text(encoding="utf-8")
        checkpoint_id, notebook_id = done["checkpoint"]["id"], done["notebook_id"]

        stored = notebook_json(await content_of(jp_fetch, checkpoint_id))
        download = await call(jp_fetch, "checkpoints", checkpoint_id, "notebook")
        opened = await call(
            jp_fetch, "checkpoints", checkpoint_id, "restore", method="POST", body={"path": name}
        )
        restored = (jp_root_dir / reply(opened)["path"]).read_text(encoding="utf-8")
        downloaded = download.body.decode()
        checks = {
            "content": stored == expected_text(uploaded, stored, notebook_id),
            "download": as_restored_from(downloaded, uploaded)
            == expected_text(uploaded, downloaded),
            "open as notebook": as_restored_from(restored, uploaded)
            == expected_text(uploaded, restored),
        }
        failures += [f"{corpus_id(source)}: {what}" for what, ok in checks.items() if not ok]
    assert failures == []


async def test_writing_the_id_keeps_the_mode(jp_fetch, jp_root_dir: Path) -> None:
    path = jp_root_dir / "shared.ipynb"
    shutil.copy(CORPUS[0].parent / "test4.5.ipynb", path)
    path.chmod(0o664)

    done = await upload(jp_fetch, "shared.ipynb")

    assert done["id_not_written"] is None
    assert json.loads(path.read_text())["metadata"]["nepnb"]["notebook_id"] == done["notebook_id"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o664


async def test_read_only_and_old_format_files_are_not_written(jp_fetch, jp_root_dir: Path) -> None:
    data = CORPUS[0].parent
    shutil.copy(data / "test4.5.ipynb", jp_root_dir / "frozen.ipynb")
    (jp_root_dir / "frozen.ipynb").chmod(0o444)
    shutil.copy(data / "test3.ipynb", jp_root_dir / "old.ipynb")
    before = {name: (jp_root_dir / name).read_bytes() for name in ("frozen.ipynb", "old.ipynb")}

    frozen = await upload(jp_fetch, "frozen.ipynb")
    old = await upload(jp_fetch, "old.ipynb")
    again = await upload(jp_fetch, "old.ipynb", "Again")

    assert {name: (jp_root_dir / name).read_bytes() for name in before} == before
    assert stat.S_IMODE((jp_root_dir / "frozen.ipynb").stat().st_mode) == 0o444
    assert frozen["id_not_written"] == "notebook id not written to frozen.ipynb: it is read-only"
    assert old["id_not_written"].startswith(
        "notebook id not written to old.ipynb: it is in nbformat 3"
    )
    assert again["notebook_id"] == old["notebook_id"]  # the history goes on by its path
    assert again["checkpoint"]["parent_id"] == old["checkpoint"]["id"]
