"""Neptune's integrations, from the registry, run unchanged on nepnb through the alias: each
script logs the same paths, with the same field types and values, as under the real Neptune
client 1.14 (see conftest.py for how the two runs are made and compared)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.integrations.conftest import Both, differences, steps

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

#: Values that change from one run to the next (times, generated names, addresses).
OPTUNA_VOLATILE = (r"/datetime_(start|complete)$", r"/duration$", r"/study_name$", r"/_storage$")


def test_stringify_unsupported_values(run_both: Callable[[str], Both]) -> None:
    both = run_both("stringify_values")
    assert differences(both) == []
    fields = both.ours["fields"]
    assert fields["appended/float"] == ["FloatSeries", [[0.0, 0.5], [1.0, 0.5]]]  # bug A
    assert steps(fields["appended/steps"]) == [3.0]
    assert fields["assigned/file"] == ["File", "txt"]  # bug B: kept as a File
    assert fields["assigned/float_series"][0] == "FloatSeries"
    assert fields["assigned/file_set"][0] == "FileSet"
    assert fields["assigned/figure"] == ["File", "png"]


def test_optuna_study_of_20_trials(run_both: Callable[[str], Both]) -> None:
    both = run_both("optuna_study")
    assert differences(both, OPTUNA_VOLATILE) == []
    fields = both.ours["fields"]
    assert fields["trials/values"][0] == "FloatSeries"
    assert steps(fields["trials/values"]) == [float(trial) for trial in range(20)]
    assert fields["trials/params/x"][0] == "FloatSeries"
    assert fields["trials/params/optimizer"][0] == "StringSeries"
    assert fields["study/study"] == ["File", "pkl"]
    assert both.ours["best_value"] == both.real["best_value"]


def test_sklearn_regressor_and_classifier_summaries(run_both: Callable[[str], Both]) -> None:
    both = run_both("sklearn_summaries")
    assert differences(both) == []
    fields = both.ours["fields"]
    assert fields["regressor/pickled_model"] == ["File", "pkl"]
    assert fields["classifier/test/scores/class_0/precision"][0] == "Float"
    assert any(path.startswith("classifier/diagnostics_charts/") for path in fields)


def test_lightgbm_training_and_booster_summary(run_both: Callable[[str], Both]) -> None:
    both = run_both("lightgbm_training")
    assert differences(both) == []
    fields = both.ours["fields"]
    assert fields["training/validation/l2"][0] == "FloatSeries"
    assert len(fields["training/validation/l2"][1]) == 15


def test_transformers_neptune_callback(run_both: Callable[[str], Both]) -> None:
    both = run_both("transformers_callback")
    assert differences(both) == []
    fields = both.ours["fields"]
    assert fields["finetuning/train/loss"] == [
        "FloatSeries",
        [[float(step), 1.0 / step] for step in range(1, 6)],
    ]
    assert steps(fields["finetuning/eval/loss"]) == [5.0]  # the Trainer's global step
    assert fields["finetuning/trainer_parameters/learning_rate"] == ["Float", 1e-3]
    assert both.ours["state_after_train_end"] == both.real["state_after_train_end"] == "stopped"


def test_python_logger_handler(run_both: Callable[[str], Both]) -> None:
    both = run_both("python_logger")
    volatile = (r"^source_code/integrations/neptune-python-logger$",)  # each client's version
    assert differences(both, volatile) == []
    assert both.ours["default_path"] == both.real["default_path"]
    messages = [value for _, value in both.ours["default_path"][1]]
    assert messages == ["step 0 done", "step 1 done", "step 2 done", "loss went up", "a detail"]
    assert both.ours["fields"]["logs/warnings"] == ["StringSeries", [[0.0, "loss went up"]]]
    version = both.ours["fields"]["source_code/integrations/neptune-python-logger"][1]
    assert version.startswith("1.14.0+nepnb.")


def test_lightning_finds_neptune(run_both: Callable[[str], Both]) -> None:
    both = run_both("lightning_check")
    for result in (both.real, both.ours):
        assert result["available"] is True and result["module_available"] is True
    assert both.ours["message"] == "Requirement 'neptune>=1.0' met"
    assert both.ours["version"].startswith("1.14.0+nepnb.")
