"""Reading notebooks: every kind of bad file gets a clear NotebookError."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from nepnb.exceptions import NotebookError
from nepnb.notebooks.format import free_path, notebook_json, parse_notebook, read_notebook
from tests.helpers.nbrun import nbformat3_notebook


def test_a_notebook_is_read_with_its_multiline_strings_joined(tmp_path: Path) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "a = 1\nb = 2", outputs=[nbformat.v4.new_output("stream", text="x\ny\n")]
        ),
        nbformat.v4.new_markdown_cell("# Title\ntext"),
    ]
    path = tmp_path / "a.ipynb"
    nbformat.write(notebook, path)
    assert isinstance(json.loads(path.read_text())["cells"][0]["source"], list)
    read = read_notebook(path)
    assert read["cells"][0]["source"] == "a = 1\nb = 2"
    assert read["cells"][0]["outputs"][0]["text"] == "x\ny\n"
    assert read["cells"][1]["source"] == "# Title\ntext"
    assert parse_notebook(notebook_json(read)) == read


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "invalid JSON at line 1"),
        (b"\xff\xfe\x00", "not UTF-8"),
        (b"[1, 2]", "its JSON is not an object"),
        (b"{}", "no 'nbformat' version"),
        (b'{"nbformat": 4, "cells": {}}', "no list of 'cells'"),
        (b'{"nbformat": 4, "cells": [{"cell_type": 7}]}', "cell 0 has cell_type 7"),
        (b'{"nbformat": 4, "cells": [3]}', "cell 0 is not an object"),
        (b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": 5}]}', "not text"),
        (b'{"nbformat": 9, "cells": []}', "newer than nepnb knows"),
        (b'{"nbformat": 4, "metadata": [], "cells": []}', "'metadata' is not an object"),
    ],
)
def test_bad_files_are_refused_with_the_reason(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.ipynb"
    path.write_bytes(content)
    with pytest.raises(NotebookError, match=message) as caught:
        read_notebook(path)
    assert str(path) in str(caught.value)


def test_missing_files_and_folders(tmp_path: Path) -> None:
    with pytest.raises(NotebookError, match="does not exist"):
        read_notebook(tmp_path / "missing.ipynb")
    with pytest.raises(NotebookError, match="is a folder"):
        read_notebook(tmp_path)


def test_an_nbformat_3_notebook_is_upgraded(tmp_path: Path) -> None:
    v3 = nbformat3_notebook(markdown="hello", code="print(1)")
    notebook = parse_notebook(json.dumps(v3), "old.ipynb")
    assert notebook["nbformat"] == 4
    markdown, code = notebook["cells"]
    assert code["source"] == "print(1)" and code["execution_count"] == 1
    assert code["outputs"][0]["text"] == "hi\n"
    assert markdown["source"] == "hello"


def test_broken_outputs_are_kept_as_they_are() -> None:
    broken = [{"output_type": "mystery", "payload": [1, 2]}, "not even a dict", {"text": 5}]
    raw = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": "x", "metadata": {}, "outputs": broken, "execution_count": 1}
    ]}  # fmt: skip
    notebook = parse_notebook(json.dumps(raw))
    assert notebook["cells"][0]["outputs"] == broken


def test_free_path_never_returns_an_existing_file(tmp_path: Path) -> None:
    wanted = tmp_path / "a.ipynb"
    assert free_path(wanted) == wanted
    wanted.write_text("x")
    (tmp_path / "a-1.ipynb").write_text("x")
    assert free_path(wanted) == tmp_path / "a-2.ipynb"
