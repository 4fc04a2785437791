"""Checkpoint storage against git's pack: the same notebook versions in a nepnb store and in git.

    .venv/bin/python bench/checkpoint_storage.py                     # 4 notebooks x 150 versions
    .venv/bin/python bench/checkpoint_storage.py --versions 30       # a quick try
    .venv/bin/python bench/checkpoint_storage.py --json out.json     # also save every figure

The corpus is generated (bench/_histories.py): a few notebooks, each growing over its versions
(edits and re-runs, appended cells, plots, tracebacks and their fixes, "run all"). Then:

1. every version is uploaded, in the order a team would commit them, as a checkpoint into an
   empty local store (``Checkpoints.upload``, timed one by one); the store's size is every file
   of its folder after folding SQLite's WAL into the database;
2. every checkpoint is restored (``Checkpoints.content``, timed) and checked against the
   version uploaded (the notebook as uploaded, after nbformat's normal form: equal JSON);
3. the same versions are committed to a new git repository (one file per notebook, one commit
   per version, through ``git fast-import``), then ``git gc --aggressive --prune=now``: git's
   size is its ``.git/objects/pack`` folder.

The target (issue 16, item 7): the store takes no more than git's pack.
"""

from __future__ import annotations

import os
import sys

# `python bench/x.py` puts bench/ first on sys.path, where bench/logging.py would shadow the
# standard library's `logging`: move bench/ to the end (see bench/checkpoints.py).
if sys.path and os.path.realpath(sys.path[0] or os.curdir) == os.path.dirname(
    os.path.realpath(__file__)
):
    sys.path.pop(0)
sys.path.append(os.path.dirname(os.path.realpath(__file__)))

import argparse
import gc
import json
import shutil
import sqlite3
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import _histories
from _report import machine_info, render

from nepnb.notebooks import Checkpoints
from nepnb.store.local import LocalStore

MB = 1_000_000
PROJECT = "bench/storage"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def folder_size(folder: Path) -> int:
    return sum(
        (Path(root) / name).stat().st_size for root, _, files in os.walk(folder) for name in files
    )


def store_bytes(store: LocalStore) -> int:
    """Every file of the store's folder, after folding the WAL into the database."""
    con = sqlite3.connect(store.db_path)
    try:
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        con.close()
    return folder_size(store.home)


def parts_bytes(store: LocalStore) -> tuple[int, int, int]:
    """(parts, their bytes, their stored bytes) in the parts table."""
    con = sqlite3.connect(store.db_path)
    try:
        row = con.execute(
            "SELECT count(*), coalesce(sum(size), 0), coalesce(sum(length(data)), 0) FROM parts"
        ).fetchone()
    finally:
        con.close()
    return int(row[0]), int(row[1]), int(row[2])


def _exact(notebook: dict[str, Any]) -> str:
    """The notebook as JSON text, keys sorted: equal texts, equal notebooks."""
    return json.dumps(notebook, sort_keys=True, ensure_ascii=False)


def run_nepnb(histories: list[_histories.History], home: Path) -> dict[str, Any]:
    store = LocalStore(home)
    cps = Checkpoints(store, PROJECT)
    uploads: list[float] = []
    uploaded: list[tuple[str, str]] = []  # (checkpoint id, the text uploaded)
    ids: dict[str, str] = {}
    for h, i in _histories.interleaved(histories):
        notebook = json.loads(h.versions[i])  # valid nbformat 4.5 (nbformat wrote it)
        if h.name in ids:  # the file carries its id from its first upload on
            notebook["metadata"]["nepnb"] = {"notebook_id": ids[h.name]}
        gc.collect()
        t0 = time.perf_counter()
        up = cps.upload(notebook, path=h.name, message=f"{h.name}: {h.steps[i]}", author="bench")
        uploads.append(time.perf_counter() - t0)
        ids[h.name] = up.notebook_id
        uploaded.append((up.checkpoint.id, _exact(up.notebook)))
    log(f"nepnb: {len(uploads)} uploads, median {statistics.median(uploads) * 1000:.1f} ms")
    restores: list[float] = []
    different = 0
    for checkpoint_id, text in uploaded:
        gc.collect()
        t0 = time.perf_counter()
        content = cps.content(checkpoint_id)
        restores.append(time.perf_counter() - t0)
        if _exact(content) != text:
            different += 1
    log(f"nepnb: {len(restores)} restores, median {statistics.median(restores) * 1000:.1f} ms")
    parts, raw, stored = parts_bytes(store)
    store.close()
    return {
        "store_bytes": store_bytes(store),
        "parts": parts,
        "parts_raw_bytes": raw,
        "parts_stored_bytes": stored,
        "upload_median_s": statistics.median(uploads),
        "upload_max_s": max(uploads),
        "restore_median_s": statistics.median(restores),
        "restore_max_s": max(restores),
        "restored_different": different,
    }


def run_git(histories: list[_histories.History], repo: Path) -> dict[str, Any]:
    """Commit every version (fast-import: each commit on the branch's last), ``git gc
    --aggressive``; the pack's size."""
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=env)
    stream = bytearray()
    for n, (h, i) in enumerate(_histories.interleaved(histories), start=1):
        data = h.versions[i].encode()
        message = f"{h.name}: {h.steps[i]}\n".encode()
        stream += b"commit refs/heads/main\n"
        stream += f"committer bench <bench@example.org> {1_700_000_000 + n * 60} +0000\n".encode()
        stream += b"data %d\n%s" % (len(message), message)
        stream += b"M 100644 inline %s\ndata %d\n%s\n" % (h.name.encode(), len(data), data)
    subprocess.run(
        ["git", "fast-import", "--quiet"], input=bytes(stream), cwd=repo, check=True, env=env
    )
    t0 = time.perf_counter()
    subprocess.run(
        ["git", "gc", "--aggressive", "--prune=now", "--quiet"], cwd=repo, check=True, env=env
    )
    seconds = time.perf_counter() - t0
    log(f"git: gc --aggressive took {seconds:.0f} s")
    return {"pack_bytes": folder_size(repo / ".git" / "objects" / "pack"), "gc_s": seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notebooks", type=int, default=4, help="notebooks (default 4)")
    parser.add_argument("--versions", type=int, default=150, help="versions of each (150)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write every figure to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="nepnb-bench-storage-"))
    try:
        log(f"generating {args.notebooks} notebooks x {args.versions} versions ...")
        t0 = time.perf_counter()
        histories = _histories.corpus(args.notebooks, args.versions, args.seed)
        corpus_bytes = sum(h.size for h in histories)
        log(f"corpus: {corpus_bytes / MB:.1f} MB ({time.perf_counter() - t0:.0f} s)")
        nepnb = run_nepnb(histories, tmp / "store")
        git = run_git(histories, tmp / "git")
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    versions = sum(len(h.versions) for h in histories)
    ratio = nepnb["store_bytes"] / git["pack_bytes"]
    rows = [
        ["corpus", f"{versions} versions of {len(histories)} notebooks", f"{corpus_bytes / MB:.1f} MB"],
        ["git", "pack after gc --aggressive", f"{git['pack_bytes'] / MB:.2f} MB"],
        ["nepnb", "store folder", f"{nepnb['store_bytes'] / MB:.2f} MB"],
        ["nepnb", "parts stored (raw)", f"{nepnb['parts_stored_bytes'] / MB:.2f} MB ({nepnb['parts_raw_bytes'] / MB:.1f} MB)"],
        ["nepnb", "store / git pack (target <= 1)", f"{ratio:.2f}"],
        ["nepnb", "corpus / store", f"{corpus_bytes / nepnb['store_bytes']:.1f}x (git {corpus_bytes / git['pack_bytes']:.1f}x)"],
        ["nepnb", "upload median (max)", f"{nepnb['upload_median_s'] * 1000:.1f} ms ({nepnb['upload_max_s'] * 1000:.0f} ms)"],
        ["nepnb", "restore median (max)", f"{nepnb['restore_median_s'] * 1000:.1f} ms ({nepnb['restore_max_s'] * 1000:.0f} ms)"],
        ["nepnb", "restored versions that differ", str(nepnb["restored_different"])],
    ]  # fmt: skip
    print(render(["", "what", "figure"], rows))
    if args.json:
        figures = {"corpus_bytes": corpus_bytes, "versions": versions, "nepnb": nepnb, "git": git}
        args.json.write_text(json.dumps({"machine": machine_info(), **figures}, indent=1))
    return 0 if nepnb["restored_different"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
