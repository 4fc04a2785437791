"""Fuzz the tracking server's API from its own OpenAPI schema: whatever is sent, no 500."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.servers import ServerPool

# Batches may also come as the binary body nepnb.store.wire writes: fuzz it with any bytes.
schemathesis.openapi.media_type("application/x-nepnb-batch", st.binary(max_size=512))


def test_no_request_makes_a_server_error(server_pool: ServerPool) -> None:
    """Every operation of /openapi.json, 30 generated requests each, with an admin token (so
    that requests get past authentication into the handlers)."""
    deployment = server_pool.get("sqlite")
    schema = schemathesis.openapi.from_url(f"{deployment.server.url}/openapi.json")
    headers = {"Authorization": f"Bearer {deployment.admin_key}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        def no_server_error(case: schemathesis.Case) -> None:
            response = case.call(headers=headers)
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"
            )

        no_server_error()
