"""neptune-lightgbm: training logged by its NeptuneCallback, then a booster summary."""

from __future__ import annotations

import warnings

import lightgbm as lgb
from _common import dump, open_run
from neptune.integrations.lightgbm import NeptuneCallback, create_booster_summary
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split

warnings.filterwarnings("ignore")
run = open_run()
X, y = load_diabetes(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
train = lgb.Dataset(X_train, y_train)
valid = lgb.Dataset(X_test, y_test, reference=train)
params = {"objective": "regression", "metric": ["l2", "l1"], "num_leaves": 7, "seed": 0}
params.update({"verbose": -1, "deterministic": True, "num_threads": 1})
booster = lgb.train(
    params,
    train,
    num_boost_round=15,
    valid_sets=[train, valid],
    valid_names=["training", "validation"],
    callbacks=[NeptuneCallback(run=run, base_namespace="training")],
)
run["summary"] = create_booster_summary(
    booster=booster, log_trees=False, list_trees=[0], y_true=y_test, y_pred=booster.predict(X_test)
)
dump(run)
run.stop()
