"""The tracking server answers nepnb's errors with the statuses the Jupyter extension uses,
and the HTTP store raises the same class again from the reply."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from nepnb.exceptions import error_from_payload
from nepnb.server.app import create_app
from tests.helpers.errors import ERRORS, IDS


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> TestClient:
    folder = tmp_path_factory.mktemp("statuses")
    app = create_app(f"sqlite:///{folder / 'db.sqlite'}", folder / "blobs")

    def raising(index: int) -> None:
        raise ERRORS[index][0]

    app.add_api_route("/test/raise/{index}", raising)
    return TestClient(app, raise_server_exceptions=False)


@pytest.mark.parametrize(("index", "status"), list(enumerate(s for _, s in ERRORS)), ids=IDS)
def test_an_error_answers_its_class_status_and_comes_back_as_itself(
    client: TestClient, index: int, status: int
) -> None:
    error = ERRORS[index][0]
    response = client.get(f"/test/raise/{index}")
    assert response.status_code == status == error.http_status
    again = error_from_payload(response.status_code, response.json())
    assert type(again) is type(error)
    assert str(again) == str(error)
