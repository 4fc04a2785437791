"""Writes, with the real Neptune client 1.x in offline mode, one run whose log holds every
operation type of ``neptune.internal.operation``; prints their names as JSON.

    python all_operations.py            (in the folder where .neptune is to be written)

Types the public API of 1.x no longer emits (UploadFileContent from 0.x logs,
ConfigFloatSeries, ClearArtifact, AssignArtifact, CopyAttribute, ClearImageLog) are queued
after the run stopped, through Neptune's own DiskQueue and Operation classes, so they are
serialized exactly as the client serializes them.
"""

from __future__ import annotations

import base64
import json
import threading
from pathlib import Path

import neptune
from neptune.internal.container_type import ContainerType
from neptune.internal.operation import (
    AssignArtifact,
    ClearArtifact,
    ClearImageLog,
    ConfigFloatSeries,
    CopyAttribute,
    Operation,
    UploadFileContent,
    all_subclasses,
)

OPTIONS = {
    "mode": "offline",
    "capture_stdout": False,
    "capture_stderr": False,
    "capture_hardware_metrics": False,
    "capture_traceback": False,
    "source_files": [],
    "git_ref": False,
}

Path("files").mkdir(exist_ok=True)
for name in ("keep.txt", "drop.txt"):
    Path("files", name).write_text(name)
run = neptune.init_run(**OPTIONS)
run["series/cleared"].append(1.0)
run["series/cleared"].clear()  # ClearFloatLog
run["series/cleared"].append(5.0)  # steps start again at 0
run["text/cleared"].append("gone")
run["text/cleared"].clear()  # ClearStringLog
run["set/tags"].add(["a", "b"])
run["set/tags"].clear()  # ClearStringSet
run["set/tags"].add("c")
run["set/files"].upload_files(str(Path("files").resolve()))
run["set/files"].delete_files("files/drop.txt")  # DeleteFiles
run.stop()

[folder] = Path(".neptune", "offline").iterdir()
from neptune.core.components.queue.disk_queue import DiskQueue  # noqa: E402

queue = DiskQueue(folder, lambda op: op.to_dict(), Operation.from_dict, threading.RLock())
for op in (
    UploadFileContent(["legacy", "content"], "txt", base64.b64encode(b"from 0.x").decode()),
    AssignArtifact(["artifact", "assigned"], "f" * 64),
    AssignArtifact(["artifact", "cleared"], "e" * 64),
    ClearArtifact(["artifact", "cleared"]),
    ConfigFloatSeries(["series", "configured"], 0.0, 1.0, "%"),
    ClearImageLog(["images", "cleared"]),
    CopyAttribute(["copied"], "a-neptune-id", ContainerType.RUN, ["x"], neptune.attributes.Float),
):
    queue.put(op)
queue.flush()
queue.close()
print(json.dumps(sorted(c.__name__ for c in all_subclasses(Operation) if "from_dict" in vars(c))))
