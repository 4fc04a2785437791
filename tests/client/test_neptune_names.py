"""Names of the Neptune client's objects and handler that nepnb added for code that calls them:
get_attribute, define, ping, container_type, monitoring_namespace, Handler.container."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import nepnb as neptune
from nepnb.exceptions import InvalidValue


@pytest.mark.parametrize("mode", ["sync", "async", "offline"])
def test_get_attribute_and_define(new_run: Callable[..., Any], mode: str) -> None:
    run = new_run(mode=mode)
    run["params/lr"] = 0.1
    attribute = run.get_attribute("params/lr")
    assert isinstance(attribute, neptune.attributes.Float)
    assert isinstance(attribute, neptune.handler.Handler)  # with the handler's methods
    assert isinstance(run.get_attribute("params"), neptune.attributes.Namespace)
    assert run.get_attribute("missing") is None
    handler = run.define("params/epochs", 3)
    assert handler is run["params/epochs"] and run.exists("params/epochs")
    with pytest.raises(InvalidValue, match=r"'params/lr' already exists.*assign"):
        run.define("params/lr", 0.2)
    with pytest.raises(InvalidValue, match="'params' already exists"):
        run.define("params", {"x": 1})
    run.wait()
    if mode != "offline":
        assert run["params/epochs"].fetch() == 3
        assert run["params/lr"].fetch() == 0.1  # define() changed nothing


def test_container_type_and_handler_container(
    new_run: Callable[..., Any], objects: list[Any]
) -> None:
    run = new_run(mode="sync")
    assert run.container_type.value == "run"
    assert run["a/b"].container is run
    project = neptune.init_project()
    model = neptune.init_model(key="NAMES")
    version = neptune.init_model_version(model=model["sys/id"].fetch())
    objects.extend([project, model, version])
    kinds = [obj.container_type.value for obj in (project, model, version)]
    assert kinds == ["project", "model", "model_version"]


def test_ping_and_monitoring_namespace(new_run: Callable[..., Any]) -> None:
    run = new_run(mode="sync", monitoring_namespace="monitoring/mine")
    assert run.monitoring_namespace == "monitoring/mine"
    before = run["sys/ping_time"].fetch()
    run.ping()
    assert run["sys/ping_time"].fetch() > before
    assert new_run(mode="read-only", with_id=run["sys/id"].fetch()).monitoring_namespace is None
