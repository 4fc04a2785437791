"""neptune-optuna: a study of 20 trials logged by its NeptuneCallback, then
log_study_metadata() of the same study to another namespace."""

from __future__ import annotations

import neptune.integrations.optuna as npt_utils
import optuna
from _common import dump, open_run


def objective(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", -10, 10)
    layers = trial.suggest_int("layers", 1, 4)
    optimizer = trial.suggest_categorical("optimizer", ["adam", "sgd"])
    for step in range(3):
        trial.report((x - 2) ** 2 / (step + 1), step)
    return (x - 2) ** 2 + layers + (0.5 if optimizer == "sgd" else 0.0)


optuna.logging.set_verbosity(optuna.logging.WARNING)
run = open_run()
callback = npt_utils.NeptuneCallback(run, plots_update_freq=10, study_update_freq=10)
study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=0))
study.optimize(objective, n_trials=20, callbacks=[callback])
npt_utils.log_study_metadata(study, run, base_namespace="summary", log_plots=False)
dump(run, best_value=study.best_value)
run.stop()
