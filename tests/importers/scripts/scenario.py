"""One logging scenario, run by the real Neptune client 1.x (in its own venv) and by nepnb.

    python scenario.py CLIENT MODE OUT [--crash-after N]

``--crash-after N``: append N points to CRASH_SERIES (async-unreachable: N the server
acknowledges, then N more it never gets), then SIGKILL the process.

CLIENT is ``neptune`` or ``nepnb`` (``import nepnb as neptune``); MODE a Neptune mode, or
``async-unreachable``: async against a server that acknowledges the first batch and is then
unreachable (Neptune's backend replaced in this process; nothing leaves the machine).
Writes OUT/result.json: the structure, the errors each misuse raised, what the client
produced for images. The constants are what the tests compare imported values with; this
file imports neither client at module level, so tests import it for them.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ATOMS: dict[str, Any] = {
    "params/lr": 0.001,
    "params/epochs": 10,
    "params/shuffle": True,
    "params/optimizer": "adam",
    "params/started": datetime(2024, 5, 6, 7, 8, 9, tzinfo=timezone.utc),
}
NESTED = {"config": {"layers": 3, "head": {"kind": "mlp", "dropout": 0.25}}}
#: (step, value, timestamp) appended with explicit steps and timestamps
FLOATS = [(float(2 * i), 1.0 / (i + 1), 1_700_000_000.0 + i) for i in range(50)]
#: appended with neither: steps 0, 1, 2 …
DEFAULT_STEP_FLOATS = [0.5, 0.25, 0.125, 0.0625]
STRINGS = [(1.0, "epoch one"), (2.0, "epoch two"), (3.0, "epoch three")]
TAGS = ["baseline", "first"]
TAGS_ADDED = ["resnet"]
TAGS_REMOVED = ["first"]
FILES = {"data/a.txt": "alpha\n", "data/sub/b.txt": "beta\n"}
CONTENT = "gamma"
IMAGE_NAMES = ["first image", "second image"]
CRASH_SERIES = "crash/values"
MODEL_KEY = "MOD"


def image_array(index: int) -> Any:
    import numpy as np

    return (np.arange(64, dtype=np.float64).reshape(8, 8) / 64.0 + index * 0.1) % 1.0


def _error(call: Any) -> list[str] | None:
    """The class names (MRO) of what ``call`` raised, or None."""
    try:
        call()
    except Exception as error:
        return [cls.__name__ for cls in type(error).__mro__]
    return None


def _shape(structure: dict[str, Any]) -> dict[str, Any]:
    """The structure with each field as its type name (Float, FloatSeries …)."""
    out: dict[str, Any] = {}
    for key, value in structure.items():
        if isinstance(value, dict):
            out[key] = _shape(value)
        else:
            out[key] = type(value).__name__  # the attribute's class: Float, FloatSeries …
    return out


def _patch_unreachable_server() -> Any:
    """Neptune's backend: run creation works, the first batch is acknowledged, then the
    server is unreachable (connection lost) for good."""
    import neptune.metadata_containers.metadata_container as container
    from neptune.exceptions import NeptuneConnectionLostException
    from neptune.internal.backends.neptune_backend_mock import NeptuneBackendMock

    class Unreachable(NeptuneBackendMock):
        reachable = True

        def execute_operations(self, *args: Any, **kwargs: Any) -> Any:
            if not Unreachable.reachable:
                raise NeptuneConnectionLostException(OSError("server unreachable"))
            return super().execute_operations(*args, **kwargs)

    container.get_backend = lambda *args, **kwargs: Unreachable()
    return Unreachable


def main(argv: list[str]) -> None:
    client, mode, out = argv[0], argv[1], Path(argv[2])
    crash_after = int(argv[argv.index("--crash-after") + 1]) if "--crash-after" in argv else None
    if client == "neptune":
        import neptune
        from neptune.types import File
    else:
        import nepnb as neptune
        from nepnb.types import File
    server = _patch_unreachable_server() if mode == "async-unreachable" else None
    options: dict[str, Any] = {
        "project": "workspace/scenario",
        "mode": "async" if server else mode,
        "capture_stdout": False,
        "capture_stderr": False,
        "capture_hardware_metrics": False,
        "capture_traceback": False,
        "source_files": [],
        "git_ref": False,
    }
    if server:
        options["api_token"] = "unused-the-backend-is-replaced"
    run = neptune.init_run(name="scenario", description="every field type", tags=TAGS, **options)
    result: dict[str, Any] = {}
    if crash_after is not None:
        for i in range(crash_after):
            run[CRASH_SERIES].append(i * 0.5)  # steps 0, 1, 2 … given by the server
        if server:  # the server has those; then it goes away, and the process is killed
            run.wait()
            server.reachable = False
            for i in range(crash_after, 2 * crash_after):
                run[CRASH_SERIES].append(i * 0.5)
        os.kill(os.getpid(), signal.SIGKILL)
    if server:
        run["acknowledged/value"] = 1
        run.wait()
        server.reachable = False  # from here on nothing reaches the server
        model = neptune.init_model(key=MODEL_KEY, project=options["project"], api_token="x")
        model["model/params"] = {"size": 7}
        version = neptune.init_model_version(
            model=f"SCEN-{MODEL_KEY}", project=options["project"], api_token="x"
        )
        version["version/score"] = 0.9
        project = neptune.init_project(project=options["project"], api_token="x")
        project["general/owner"] = "team"
    for path, value in ATOMS.items():
        run[path] = value
    run["nested"] = NESTED
    for step, value, stamp in FLOATS:
        run["metrics/loss"].append(value, step=step, timestamp=stamp)
    for value in DEFAULT_STEP_FLOATS:
        run["metrics/default"].append(value)
    for step, text in STRINGS:
        run["logs/text"].append(text, step=step)
    run["sys/tags"].add(TAGS_ADDED)
    run["sys/tags"].remove(TAGS_REMOVED)
    for name, text in FILES.items():
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        Path(name).write_text(text)
    run["files/single"].upload("data/a.txt")
    run["files/content"].upload(File.from_content(CONTENT, extension="txt"))
    run["files/set"].upload_files(str(Path("data").resolve()))
    images = []
    for index, name in enumerate(IMAGE_NAMES):
        image = File.as_image(image_array(index))
        images.append(getattr(image, "content", None))
        run["images/samples"].append(image, name=name, description=f"sample {index}")
    result["images"] = [None if b is None else b.hex() for b in images]
    run["artifacts/data"].track_files(str(Path("data/a.txt").resolve()))
    run["temporary"] = 1
    del run["temporary"]
    result["errors"] = {
        "float_assigned_str": _error(lambda: run["params/lr"].assign("text")),
        "series_of_other_type": _error(lambda: run["metrics/loss"].append("text")),
        "empty_path": _error(lambda: run[""].assign(1)),
        "unsupported_value": _error(lambda: run["params/obj"].assign(object())),
    }
    run.wait() if not server else None
    result["structure"] = _shape(run.get_structure())
    (out / "result.json").write_text(json.dumps(result, indent=1, default=str))
    if server:
        for item in (model, version, project, run):
            item.stop(seconds=1)
    else:
        run.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
