"""Notebook checkpoints: snapshot, store, compare, restore.

The API the CLI, the Jupyter server extension and the kernel magic share::

    from nepnb.notebooks import Checkpoints, read_notebook
    checkpoints = Checkpoints(store, "team/project")
    upload = checkpoints.upload(read_notebook("a.ipynb"), path="a.ipynb", message="Try dropout",
                                author="ada")
    diff = checkpoints.compare(upload.checkpoint.id, read_notebook("a.ipynb"))
"""

from nepnb.notebooks.checkpoints import (
    Checkpoints,
    Identity,
    Upload,
    default_author,
    notebook_id_of,
    other_file_holds_id,
    restored_name,
    split_message,
    with_notebook_id,
)
from nepnb.notebooks.compare import CompareOptions, NotebookDiff
from nepnb.notebooks.format import free_path, normalize_notebook, parse_notebook, read_notebook

__all__ = [
    "Checkpoints",
    "CompareOptions",
    "Identity",
    "NotebookDiff",
    "Upload",
    "default_author",
    "free_path",
    "normalize_notebook",
    "notebook_id_of",
    "other_file_holds_id",
    "parse_notebook",
    "read_notebook",
    "restored_name",
    "split_message",
    "with_notebook_id",
]
