"""Schemathesis drives every API operation from the OpenAPI schema; no input may cause a server error."""

from __future__ import annotations

import contextlib
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode
from sqlalchemy import Engine
from webdemo import DemoPost, make_user, store_posts

EXAMPLES = 15


@pytest.mark.slow
def test_no_request_built_from_the_schema_causes_a_server_error(app: FastAPI, engine: Engine) -> None:
    now = datetime.now(UTC)
    ids = store_posts(
        engine, [DemoPost(f"p{i}", f"JMO error {i}", now - timedelta(hours=i), ["app_error"]) for i in range(3)]
    )
    headers = {"Authorization": f"Bearer {make_user(engine, 'fuzz', 'triager', token=True)}"}
    schema = schemathesis.openapi.from_asgi("/openapi.json", app, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    failures: list[str] = []
    statuses: Counter[tuple[str, int]] = Counter()
    for operation in operations:
        variants = [(GenerationMode.POSITIVE, None), (GenerationMode.NEGATIVE, None)]
        if "{post_id}" in operation.path:
            # Half the positive cases hit a real post, so bodies get past the 404 and into triage validation.
            variants.append((GenerationMode.POSITIVE, {"post_id": ids["p0"]}))
        for mode, path_parameters in variants:

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
            def check(case) -> None:  # type: ignore[no-untyped-def]
                response = case.call(headers=headers)
                statuses[(case.method, response.status_code)] += 1
                if response.status_code >= 500:
                    failures.append(f"{case.method} {case.formatted_path} {case.query} {case.body!r}: {response.text}")
                assert response.status_code < 500

            # Unsatisfiable: an operation without parameters has no negative cases to generate.
            with contextlib.suppress(AssertionError, Unsatisfiable):
                check()
    assert not failures, "\n".join(failures[:5])
    assert statuses[("PATCH", 200)] > 0 and statuses[("GET", 200)] > 0 and statuses[("GET", 422)] > 0, statuses
