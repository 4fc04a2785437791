"""neptune-prophet: create_summary() of a Prophet model fitted on a small series (heavy:
Prophet and Stan; run with -m integrations_heavy)."""

from __future__ import annotations

import logging

import neptune.integrations.prophet as npt_utils
import numpy as np
import pandas as pd
from _common import dump, open_run
from prophet import Prophet

logging.getLogger("cmdstanpy").setLevel(logging.WARNING)
days = np.arange(120)
df = pd.DataFrame(
    {"ds": pd.date_range("2020-01-01", periods=120), "y": np.sin(days / 5) + days / 100}
)
model = Prophet(daily_seasonality=False)
model.fit(df)
np.random.seed(0)  # the uncertainty intervals are sampled
forecast = model.predict(df)
run = open_run()
run["prophet_summary"] = npt_utils.create_summary(model, df, forecast, log_interactive=False)
dump(run)
run.stop()
