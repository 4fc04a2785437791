"""A full disk under the store: the upload is refused with a clear 507, nothing is damaged."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nepnb.notebooks import Checkpoints
from nepnb.store.local import LocalStore
from tests.helpers.jupyter_api import call, error_message, listing, upload
from tests.helpers.nbrun import notebook_dict, write_notebook


@pytest.fixture
def nepnb_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The store on a 2 MB tmpfs of its own, so that the test can fill its disk."""
    home = tmp_path / "small-disk"
    home.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(home)],
        capture_output=True,
        text=True,
    )
    assert mounted.returncode == 0, (
        f"this test mounts a small tmpfs (as root): {mounted.stderr.strip()}"
    )
    monkeypatch.setenv("NEPNB_HOME", str(home))
    try:
        LocalStore(home).close()  # the database exists before the disk fills
        yield home
    finally:
        subprocess.run(["umount", "-l", str(home)], check=False)


def noise_png(size: int) -> str:
    """A base64 'image' that does not compress (random bytes behind a PNG signature)."""
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + os.urandom(size)).decode()


def with_image(source: str, size: int) -> dict[str, Any]:
    output = {"output_type": "display_data", "data": {"image/png": noise_png(size)}, "metadata": {}}
    return notebook_dict(source, outputs=[[output]])


async def test_a_full_store_refuses_the_upload_clearly_and_keeps_what_it_had(
    jp_fetch: Any, jp_root_dir: Path, nepnb_home: Path
) -> None:
    write_notebook(jp_root_dir / "a.ipynb", with_image("first", 10_000))
    first = await upload(jp_fetch, "a.ipynb", "Fits")
    filler = nepnb_home / "filler"
    free = os.statvfs(nepnb_home).f_bavail * os.statvfs(nepnb_home).f_frsize
    filler.write_bytes(b"\0" * max(free - 50_000, 0))

    # The user goes on with the same notebook (its id stays in its metadata).
    edited = with_image("second", 400_000)
    edited["metadata"] = json.loads((jp_root_dir / "a.ipynb").read_text())["metadata"]
    write_notebook(jp_root_dir / "a.ipynb", edited)
    response = await call(
        jp_fetch, "checkpoints", method="POST", body={"path": "a.ipynb", "message": "Too big"}
    )
    message = error_message(response, 507)
    assert "is full" in message and "free some disk space" in message
    assert str(nepnb_home) in message
    history = await listing(jp_fetch, "a.ipynb")
    assert [c["id"] for c in history["checkpoints"]] == [first["checkpoint"]["id"]]

    # Space again: the same upload goes through, and the first checkpoint is intact.
    filler.unlink()
    second = await upload(jp_fetch, "a.ipynb", "Fits now")
    checkpoints = Checkpoints(LocalStore(nepnb_home), "local/default")
    assert [c.id for c in checkpoints.history(second["notebook_id"])] == [
        second["checkpoint"]["id"],
        first["checkpoint"]["id"],
    ]
    assert checkpoints.content(first["checkpoint"]["id"])["cells"][0]["source"] == "first"
