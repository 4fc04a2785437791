"""Build and execute notebooks in a real IPython kernel (nbclient)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import nbformat
from nbclient import NotebookClient
from nbformat import NotebookNode


def make_notebook(*sources: str) -> NotebookNode:
    """A notebook with one code cell per source."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    return notebook


def execute(notebook: NotebookNode, cwd: Path, *, allow_errors: bool = False) -> NotebookNode:
    """Run every cell of `notebook` in a fresh kernel started in `cwd`; returns it executed."""
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        allow_errors=allow_errors,
        resources={"metadata": {"path": str(cwd)}},
    )
    client.execute()
    return notebook


def stream_text(cell: NotebookNode, name: str = "stdout") -> str:
    """The text a cell printed on one stream."""
    return "".join(out.get("text", "") for out in cell.outputs if out.get("name") == name)


def error_of(cell: NotebookNode) -> tuple[str, str] | None:
    """The (ename, evalue) of a cell that raised, else None."""
    for out in cell.outputs:
        if out.output_type == "error":
            return out.ename, out.evalue
    return None


def notebook_dict(*sources: str, outputs: list[list[dict[str, Any]]] | None = None) -> dict:
    """An nbformat 4.5 notebook (a plain dict) with one code cell per source (ids c0, c1 …)."""
    cells = []
    for index, source in enumerate(sources):
        cell_outputs = outputs[index] if outputs and index < len(outputs) else []
        cells.append(
            {
                "cell_type": "code",
                "id": f"c{index}",
                "metadata": {},
                "execution_count": index + 1 if cell_outputs else None,
                "source": source,
                "outputs": cell_outputs,
            }
        )
    return {
        "nbformat": 4,
        "nbformat_minor": 5,
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "cells": cells,
    }


def stream(text: str) -> dict[str, Any]:
    """A stdout output."""
    return {"output_type": "stream", "name": "stdout", "text": text}


#: A notebook of three cells, two of them with outputs, as the checkpoint tests upload it.
SIMPLE = notebook_dict(
    "import math\nx = 1",
    "print(x)",
    "y = math.sqrt(x)\nprint(y)",
    outputs=[[], [stream("1\n")], [stream("1.0\n")]],
)


def write_notebook(path: Path, notebook: dict[str, Any]) -> Path:
    """Write ``notebook`` as JSON to ``path`` (folders made), as a user's file would be."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    return path


def on_disk(path: Path) -> dict[str, Any]:
    """The notebook in the file as nbformat reads it (multi-line strings joined), plain dicts."""
    return json.loads(json.dumps(nbformat.read(path, as_version=4)))


def file_id(path: Path) -> str | None:
    """The nepnb notebook id stored in the file, if any."""
    metadata = json.loads(path.read_text(encoding="utf-8"))["metadata"]
    return metadata.get("nepnb", {}).get("notebook_id")


def nbformat3_notebook(markdown: str = "# Old", code: str = "print('hi')") -> dict[str, Any]:
    """An nbformat 3 notebook (worksheets, `input`, `prompt_number`): one markdown and one code
    cell that printed ``hi``."""
    return {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": "old"},
        "worksheets": [
            {
                "metadata": {},
                "cells": [
                    {"cell_type": "markdown", "metadata": {}, "source": markdown},
                    {
                        "cell_type": "code",
                        "metadata": {},
                        "input": code,
                        "language": "python",
                        "prompt_number": 1,
                        "outputs": [{"output_type": "stream", "stream": "stdout", "text": "hi\n"}],
                    },
                ],
            }
        ],
    }
