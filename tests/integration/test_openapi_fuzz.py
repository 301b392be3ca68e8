"""Fuzzing (schemathesis) against each service's OpenAPI schema: a bounded number of
generated requests per operation, valid and invalid, sent as a district admin (with the
operations role) to the service running on the real database and broker. No answer may
be a 5xx, and every 4xx carries the common error body."""

from __future__ import annotations

import contextlib
import json
import os
import uuid
import warnings
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from schemathesis import GenerationMode
from schemathesis.core.result import Ok

from shared.auth.principal import Grant
from shared.auth.roles import Role
from tests.auth import token_for
from tests.platform import CATALOG, RunningService

pytestmark = pytest.mark.integration

# Per operation and mode; FUZZ_EXAMPLES raises it for a deeper local run.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
ERROR_KEYS = {"code", "message", "details", "request_id", "data"}


def generate(operation: Any, mode: GenerationMode, seed: int) -> list[Any]:
    """Draw cases without sending them: hypothesis runs here, the requests go out on the
    test's event loop afterwards."""
    cases: list[Any] = []

    @hypothesis.seed(seed)
    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def collect(case: Any) -> None:
        cases.append(case)

    # No invalid request exists for an operation without inputs: Unsatisfiable.
    with warnings.catch_warnings(), contextlib.suppress(hypothesis.errors.Unsatisfiable):
        warnings.simplefilter("ignore")
        collect()
    return cases


def problem(response: Any) -> str | None:
    if response.status_code >= 500:
        return f"{response.status_code}: {response.text[:300]}"
    if 400 <= response.status_code < 500:
        try:
            error = response.json()["error"]
        except (ValueError, KeyError, TypeError):
            return f"{response.status_code} without the common error body: {response.text[:200]}"
        if not set(error) >= ERROR_KEYS or not error["message"]:
            return f"{response.status_code} with an incomplete error body: {error}"
    return None


@pytest.mark.parametrize("name", list(CATALOG))
async def test_generated_requests_get_no_5xx_and_the_common_error_body(
    name: str, platform: dict[str, RunningService]
) -> None:
    service = platform[name]
    token = token_for([Grant(Role.district_admin, uuid.uuid4()), Grant(Role.operations)])
    schema = schemathesis.openapi.from_dict(service.app.openapi())
    failures: list[str] = []
    sent = 0
    for index, result in enumerate(schema.get_all_operations()):
        if not isinstance(result, Ok):
            failures.append(f"operation the fuzzer can't read: {result}")
            continue
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for case in generate(operation, mode, seed=index):
                kwargs = case.as_transport_kwargs(
                    base_url=str(service.client.base_url),
                    headers={"Authorization": f"Bearer {token}"},
                )
                kwargs.pop("cookies", None)
                files = kwargs.pop("files", None)
                if files:
                    kwargs["files"] = [
                        (str(k), v if isinstance(v, tuple) else (None, str(v))) for k, v in files
                    ]
                if kwargs.get("data") is None:
                    kwargs.pop("data", None)
                response = await service.client.request(**kwargs)
                sent += 1
                found = problem(response)
                if found:
                    body = json.dumps(kwargs.get("json"), ensure_ascii=False)[:200]
                    failures.append(f"{case.method} {case.formatted_path} {body} -> {found}")
    assert sent > 0
    assert not failures, "\n".join(failures[:30])
