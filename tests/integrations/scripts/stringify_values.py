"""Values marked with stringify_unsupported(), assigned and appended: each lands with the
type and value the Neptune client gives it (neptune-optuna and neptune-prophet log this way)."""

from __future__ import annotations

import datetime
import tempfile
from decimal import Decimal
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _common import dump, open_run
from neptune.types import File, FileSet, FloatSeries, StringSeries
from neptune.utils import stringify_unsupported as s
from PIL import Image

folder = Path(tempfile.mkdtemp())
(folder / "a.txt").write_text("a")
figure = plt.figure()
plt.plot([1, 2, 3])
image = Image.new("RGB", (4, 4), "red")

run = open_run()
# assigned
assigned = {
    "float": 0.5,
    "int": 3,
    "bool": True,
    "str": "text",
    "none": None,
    "tuple": (1, "a"),
    "list": [1, 2],
    "big_int": 2**40,
    "nan": float("nan"),
    "np_int": np.int64(3),
    "np_float32": np.float32(0.25),
    "np_bool": np.bool_(True),
    "decimal": Decimal("1.5"),
    "date": datetime.date(2024, 1, 2),
    "datetime": datetime.datetime(2024, 1, 2, 3, 4, 5),
    "file": File.from_content("abc", extension="txt"),
    "float_series": FloatSeries([1.0, 2.0]),
    "string_series": StringSeries(["a", "b"]),
    "file_set": FileSet([str(folder / "a.txt")]),
    "figure": figure,
    "image": image,
}
for name, value in assigned.items():
    run[f"assigned/{name}"] = s(value)
run["assigned/dict"] = s({"lr": 0.1, "layers": (64, 32), "name": "m"})
# appended: the first value fixes the type of the series
appended = {
    "float": 0.5,
    "int": 3,
    "bool": True,
    "str": "x",
    "none": None,
    "tuple": (1, 2),
    "np_int": np.int64(4),
    "decimal": Decimal("2.5"),
    "date": datetime.date(2024, 1, 2),
    "file": File.as_image(np.zeros((4, 4))),
    "image": image,
}
for name, value in appended.items():
    run[f"appended/{name}"].append(s(value))
    run[f"appended/{name}"].append(s(value))
run["appended/dict"].append(s({"lr": 0.1, "opt": "adam", "shape": (1, 2)}))
run["appended/steps"].append(s(0.5), step=3)
run["appended/into_strings"].append("first")
run["appended/into_strings"].append(s(1.5))
run["appended/into_floats"].append(1.0)
run["appended/into_floats"].append(s(np.float32(2.5)))
run["extended/floats"].extend(s([1, 2.5]))
dump(run)
run.stop()
