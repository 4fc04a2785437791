"""The heavy integrations (TensorFlow/Keras, Prophet: gigabytes of dependencies), compared
with the real Neptune client as tests/integrations/test_integrations.py does. Deselected
unless asked for: ``./dev test tests/integrations -m integrations_heavy``."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.integrations.conftest import Both, differences

pytestmark = [pytest.mark.integrations_heavy, pytest.mark.slow, pytest.mark.timeout(3600)]


def test_tensorflow_keras_callback(run_both_heavy: Callable[[str], Both]) -> None:
    both = run_both_heavy("tensorflow_keras")
    assert differences(both) == []
    fields = both.ours["fields"]
    assert fields["training/train/epoch/loss"][0] == "FloatSeries"
    assert len(fields["training/train/epoch/loss"][1]) == 3


#: Prophet's model config holds the Stan backend's address and its temp files' names.
PROPHET_VOLATILE = (r"/model_config/stan_backend$", r"/model_config/stan_fit$")


def test_prophet_summary(run_both_heavy: Callable[[str], Both]) -> None:
    both = run_both_heavy("prophet_forecast")
    assert differences(both, PROPHET_VOLATILE) == []
    assert both.ours["fields"]["prophet_summary/diagnostics_charts/yhat"][0] == "FloatSeries"
    assert both.ours["fields"]["prophet_summary/model/serialized_model"] == ["File", "json"]
