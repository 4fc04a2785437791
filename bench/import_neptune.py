"""How fast ``nepnb import-neptune`` reads what the Neptune 1.14 client wrote offline.

    .venv/bin/python bench/import_neptune.py                 # 1,000,000 points in 10 series
    .venv/bin/python bench/import_neptune.py --points 100000

The Neptune client (bench/.venvs/neptune, made on first use) logs ``--points`` float points
over 10 series in offline mode, timed as the reference; then nepnb imports the folder (timed),
and imports it again (nothing new: timed too). Prints points per second for each.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _venvs import peer_python, setup_venvs

ROOT = Path(__file__).resolve().parent.parent
SERIES = 10

WRITER = """
import sys, time, neptune
points, series = int(sys.argv[1]), int(sys.argv[2])
run = neptune.init_run(mode="offline", capture_stdout=False, capture_stderr=False,
    capture_hardware_metrics=False, capture_traceback=False, source_files=[], git_ref=False)
started = time.perf_counter()
for i in range(points // series):
    for s in range(series):
        run[f"metrics/s{s}"].append(i * 0.001, step=i)
run.stop()
print(time.perf_counter() - started)
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    args = parser.parse_args()
    failed = setup_venvs(["neptune"], lambda message: print(message, file=sys.stderr))
    if failed:
        print(f"the Neptune venv could not be made: {failed}", file=sys.stderr)
        return 1
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEPTUNE_", "NEPNB_"))}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        env["NEPNB_HOME"] = str(work / "nepnb-home")
        wrote = subprocess.run(
            [str(peer_python("neptune")), "-c", WRITER, str(args.points), str(SERIES)],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        neptune_s = float(wrote.stdout.strip().splitlines()[-1])
        size = sum(p.stat().st_size for p in (work / ".neptune").rglob("*") if p.is_file())
        print(
            f"Neptune 1.14 offline: {args.points:,} points in {neptune_s:.2f} s; log {size / 1e6:.1f} MB"
        )
        command = [str(ROOT / ".venv" / "bin" / "nepnb"), "import-neptune", str(work)]
        for label in ("import", "import again (nothing new)"):
            started = time.perf_counter()
            subprocess.run(command, env=env, check=True, capture_output=True)
            took = time.perf_counter() - started
            print(f"nepnb {label}: {took:.2f} s, {args.points / took:,.0f} points/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
