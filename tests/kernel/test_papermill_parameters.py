"""papermill's parameters go to the run under `parameters/`, typed as Neptune's
stringify_unsupported types them, and never over what the run or the notebook puts there."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nepnb
from nepnb.kernel.headless import Execution, log_parameters
from tests.helpers import QUIET
from tests.helpers.nbrun import notebook_dict

PARAMETERS = {"lr": 0.01, "epochs": 3, "amsgrad": True, "optimizer": "adam", "layers": [64, 32]}


def papermill_run(*sources: str, parameters: dict[str, Any] | None = None) -> Execution:
    return Execution(
        tool="papermill",
        path=Path("train.ipynb"),
        notebook=notebook_dict(*sources),
        parameters=PARAMETERS if parameters is None else parameters,
    )


def test_parameters_are_logged_with_neptunes_types(nepnb_home: Path) -> None:
    run = nepnb.init_run(mode="sync", **QUIET)
    try:
        logged = log_parameters(run, papermill_run("train(lr)"))
        assert logged == [f"parameters/{name}" for name in PARAMETERS]
        values = {name: run[f"parameters/{name}"].fetch() for name in PARAMETERS}
        assert values == {**PARAMETERS, "layers": "[64, 32]"}
        assert [type(values[name]) for name in PARAMETERS] == [float, int, bool, str, str]
        assert log_parameters(run, papermill_run("train(lr)")) == []  # there already
    finally:
        run.stop()


def test_the_runs_own_parameters_are_left_alone(nepnb_home: Path) -> None:
    run = nepnb.init_run(mode="sync", **QUIET)
    try:
        run["parameters/lr"] = "chosen by hand"
        assert log_parameters(run, papermill_run("x = 1", parameters={"lr": 0.01, "seed": 7})) == [
            "parameters/seed"
        ]
        assert run["parameters/lr"].fetch() == "chosen by hand"
    finally:
        run.stop()
    other = nepnb.init_run(mode="sync", **QUIET)
    try:
        other["parameters"] = "a note, not a namespace"
        assert log_parameters(other, papermill_run("x = 1")) == []
        assert other["parameters"].fetch() == "a note, not a namespace"
    finally:
        other.stop()


def test_a_notebook_that_logs_its_parameters_gets_none_from_papermill(nepnb_home: Path) -> None:
    run = nepnb.init_run(mode="sync", **QUIET)
    try:
        for source in (
            'run["parameters"] = {"lr": lr}',
            "run['parameters/lr'] = lr",
            'run[ f"parameters/{name}" ] = value',
        ):
            assert log_parameters(run, papermill_run("import nepnb", source)) == [], source
        # papermill's own cell, text elsewhere, or another namespace do not count
        injected = notebook_dict("# Parameters\nrun['parameters'] = 1", "print('parameters')")
        injected["cells"][0]["metadata"]["tags"] = ["injected-parameters"]
        execution = Execution("papermill", Path("t.ipynb"), injected, parameters={"lr": 0.5})
        assert log_parameters(run, execution) == ["parameters/lr"]
        assert log_parameters(run, papermill_run("run['params/lr'] = lr", parameters={"b": 1})) == [
            "parameters/b"
        ]
    finally:
        run.stop()
