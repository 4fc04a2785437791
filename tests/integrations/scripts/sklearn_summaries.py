"""neptune-sklearn: a regressor summary and a classifier summary (with their diagnostic
charts), on the data sets scikit-learn ships."""

from __future__ import annotations

import warnings

import neptune.integrations.sklearn as npt_utils
from _common import dump, open_run
from sklearn.datasets import load_diabetes, load_iris
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.model_selection import train_test_split

warnings.filterwarnings("ignore")  # the charts' libraries warn about their own deprecations
run = open_run()
X, y = load_diabetes(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
regressor = RandomForestRegressor(n_estimators=10, random_state=0).fit(X_train, y_train)
run["regressor"] = npt_utils.create_regressor_summary(regressor, X_train, X_test, y_train, y_test)
X, y = load_iris(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
classifier = RandomForestClassifier(n_estimators=10, random_state=0).fit(X_train, y_train)
run["classifier"] = npt_utils.create_classifier_summary(
    classifier, X_train, X_test, y_train, y_test
)
dump(run)
run.stop()
