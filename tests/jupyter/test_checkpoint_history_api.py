"""The server extension keeps one history per notebook file when a tool (git, nbstripout, a
copy of an older version) writes it without nepnb's id, by the same rule as the CLI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers.cli import run_cli
from tests.helpers.jupyter_api import listing, upload
from tests.helpers.nbrun import file_id, notebook_dict, stream, write_notebook


def version(n: int) -> dict[str, Any]:
    return notebook_dict("import math", f"print({n})", outputs=[[], [stream(f"{n}\n")]])


async def test_a_version_written_without_the_id_continues_the_history(
    jp_fetch, jp_root_dir: Path
) -> None:
    path = write_notebook(jp_root_dir / "a.ipynb", version(1))
    first = await upload(jp_fetch, "a.ipynb", "v1")
    write_notebook(path, version(2))  # as git checkout or pull would: no id
    # the panel shows the history the next upload continues
    assert [c["summary"] for c in (await listing(jp_fetch, "a.ipynb"))["checkpoints"]] == ["v1"]

    second = await upload(jp_fetch, "a.ipynb", "v2")
    assert second["notebook_id"] == first["notebook_id"] == file_id(path)
    assert second["id_assigned"] is True
    assert second["checkpoint"]["parent_id"] == first["checkpoint"]["id"]
    listed = await listing(jp_fetch, "a.ipynb")
    assert [c["summary"] for c in listed["checkpoints"]] == ["v2", "v1"]


async def test_a_history_the_cli_kept_goes_on_in_the_server(jp_fetch, jp_root_dir: Path) -> None:
    path = write_notebook(jp_root_dir / "a.ipynb", version(1))
    done = run_cli("checkpoint", "upload", str(path), "-m", "from a terminal")  # absolute path
    assert done.returncode == 0, done.stderr
    notebook_id = file_id(path)
    write_notebook(path, version(2))

    second = await upload(jp_fetch, "a.ipynb", "from the browser")
    assert second["notebook_id"] == notebook_id
    assert second["checkpoint"]["seq"] == 2
