"""Fuzzing (schemathesis) against each service's OpenAPI schema, as real admins over real
data: a world of two districts is built first (``tests/world.py``), and every generated
request is sent by the admin of one district (with the operations role) or of one of its
communities, with ids in the path, the query and the body drawn from that world (the
caller's own records, a sibling community's, another district's) as often as not. Besides
the generated requests, each operation gets NUL characters in its text and a JSON body
nested 100,000 deep. No answer may be a 5xx, and every 4xx carries the common error body
with a Chinese message."""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import warnings
from dataclasses import fields
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core.result import Ok
from stdnum.cn import ric

from shared.auth.principal import Grant
from shared.auth.roles import Role
from tests.auth import token_for
from tests.platform import CATALOG, RunningService, eventually
from tests.world import Scope, World, build_world

pytestmark = pytest.mark.integration

# Per operation and mode; FUZZ_EXAMPLES raises it for a deeper local run.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8"))
ERROR_KEYS = {"code", "message", "details", "request_id", "data"}
CJK = re.compile(r"[\u3400-\u9fff]")
ENGLISH = re.compile(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}")
UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DEEP = 100_000
# Writes that end things run last, so the earlier operations still find them alive.
ENDINGS = re.compile(r"/(deactivate|revoke|merge|cancel|end|reject|return|accept)$")


Ids = dict[str, tuple[list[str], list[str]]]


def real_ids(world: World) -> Ids:
    """Parameter and field name -> (ids of that kind in the caller's own community and
    district, ids of the sibling community and the other district)."""

    def of(*names: str) -> tuple[list[str], list[str]]:
        own = [str(getattr(world.own, n)) for n in names]
        others = [str(getattr(s, n)) for s in (world.sibling, world.other) for n in names]
        return own, others

    organizations = of("district", "street", "community", "committee", "branch", "group", "unit")
    ids = {
        "member_id": of("member", "member2", "unit_member"),
        "community_id": of("community"),
        "unit_id": of("unit"),
        "account_id": of("account"),
        "grant_id": of("grant"),
        "key_id": of("key"),
        "report_in_id": of("report_in"),
        "transfer_id": of("transfer"),
    }
    for name in ("org_id", "organization_id", "root_id", "node_id", "parent_id"):
        ids[name] = organizations
    for name in ("home_organization_id", "to_organization_id", "organization_ids"):
        ids[name] = organizations
    ids["co_building_community_ids"] = ids["community_id"]
    ids["entity_id"] = of(*(f.name for f in fields(Scope) if f.type == "uuid.UUID"))
    return ids


def with_real_ids(ids: Ids) -> Any:
    """A ``flatmap_case`` hook: uuid-shaped values under a known name (in the path, the
    query, a JSON body's top level and its lists) become real ids: mostly the caller's
    own, sometimes another community's or district's, sometimes left as drawn."""

    def choose(rnd: random.Random, name: str, value: str) -> str:
        own, others = ids[name]
        draw = rnd.random()
        if draw < 0.15:
            return value
        return rnd.choice(own if draw < 0.75 else others)

    def pick(rnd: random.Random, name: str, value: Any) -> Any:
        if name not in ids:
            return value
        if isinstance(value, str) and UUID.match(value):
            return choose(rnd, name, value)
        if isinstance(value, list) and all(isinstance(v, str) and UUID.match(v) for v in value):
            return [choose(rnd, name, v) for v in value]
        return value

    def substitute(case: Any, rnd: random.Random) -> Any:
        for container in (case.path_parameters, case.query):
            for name, value in (container or {}).items():
                container[name] = pick(rnd, name, value)
        if isinstance(case.body, dict):
            case.body = {k: plausible(rnd, k, pick(rnd, k, v)) for k, v in case.body.items()}
        return case

    def flatmap_case(context: Any, case: Any) -> Any:
        return st.randoms(use_true_random=False).map(lambda rnd: substitute(case, rnd))

    return flatmap_case


def plausible(rnd: random.Random, name: str, value: Any) -> Any:
    """Half of the time, a value of the shape the domain checks (a mainland mobile, an ID
    number with its check digit, a password strong enough), so that more requests get
    past validation to the database."""
    if not isinstance(value, str) or rnd.random() < 0.5:
        return value
    if name == "mobile":
        return f"1{rnd.choice('3589')}{rnd.randrange(10**9):09d}"
    if name == "id_number":
        body = f"110105{rnd.randrange(1940, 2000)}0{rnd.randrange(1, 10)}1{rnd.randrange(10)}"
        body += f"{rnd.randrange(1000):03d}"
        return body + ric.calc_check_digit(body)
    if name == "password":
        return f"Gongjian-{rnd.randrange(10**8):08d}"
    if name == "username":
        return f"fuzz.{rnd.randrange(10**6)}"
    return value


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


def transport(case: Any, base_url: str, token: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = case.as_transport_kwargs(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}
    )
    kwargs.pop("cookies", None)
    files = kwargs.pop("files", None)
    if files:
        kwargs["files"] = [(str(k), part(v)) for k, v in files]
    if kwargs.get("data") is None:
        kwargs.pop("data", None)
    return kwargs


def part(value: Any) -> tuple[Any, ...]:
    """A multipart part httpx can send: (filename, content[, content type]), the content
    as text or bytes whatever the generator drew."""
    filename, content, *rest = value if isinstance(value, tuple) else (None, value)
    if not isinstance(content, str | bytes):
        content = json.dumps(content) if not isinstance(content, str) else content
    return (filename, content, *rest)


def with_nul(value: Any) -> tuple[Any, bool]:
    """``value`` with a NUL put into every string in it (values and list items)."""
    if isinstance(value, str):
        return value[:1] + "\x00" + value[1:], True
    if isinstance(value, dict):
        changed = {k: with_nul(v) for k, v in value.items()}
        return {k: v for k, (v, _) in changed.items()}, any(d for _, d in changed.values())
    if isinstance(value, list):
        items = [with_nul(v) for v in value]
        return [v for v, _ in items], any(d for _, d in items)
    return value, False


def text_queries(openapi: dict[str, Any], path: str, method: str) -> list[str]:
    """The operation's query parameters that take free text (a plain string)."""

    def text(schema: dict[str, Any]) -> bool:
        options = schema.get("anyOf", [schema])
        return any(o.get("type") == "string" and "format" not in o for o in options)

    parameters = openapi["paths"][path][method.lower()].get("parameters", [])
    return [p["name"] for p in parameters if p["in"] == "query" and text(p["schema"])]


def hostile(case: Any, kwargs: dict[str, Any], queries: list[str]) -> list[dict[str, Any]]:
    """Requests built from a valid one: NUL in the text of its body, in each free-text
    query parameter, in its path; and a body nested 100,000 deep as a list and as an
    object."""
    variants: list[dict[str, Any]] = []
    body, done = with_nul(kwargs["json"]) if "json" in kwargs else (None, False)
    if done:
        variants.append({**kwargs, "json": body})
    for name in queries:
        variants.append({**kwargs, "params": {**(kwargs.get("params") or {}), name: "党\x00员"}})
    if case.path_parameters:
        variants.append({**kwargs, "url": kwargs["url"] + "%00"})
    if case.method.upper() in ("POST", "PUT", "PATCH"):
        plain = {k: v for k, v in kwargs.items() if k not in ("json", "data", "files")}
        headers = {**plain.get("headers", {}), "Content-Type": "application/json"}
        for deep in ("[" * DEEP + "]" * DEEP, '{"a":' * DEEP + "1" + "}" * DEEP):
            variants.append({**plain, "headers": headers, "content": deep.encode()})
    return variants


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
        if not CJK.search(error["message"]):
            return f"{response.status_code} with a message that is not Chinese: {error}"
        # details may carry data (an id) as well as reasons, but never English prose
        if any(ENGLISH.search(str(d.get("message"))) for d in error["details"]):
            return f"{response.status_code} with English in its details: {error}"
    return None


def ordered(operations: list[Any]) -> list[Any]:
    def rank(operation: Any) -> int:
        if operation.method.upper() == "GET":
            return 0
        return 2 if ENDINGS.search(operation.path) else 1

    return sorted(operations, key=rank)


async def projected(service: RunningService, scope: Scope) -> None:
    """Other services know the world's members before the fuzzing starts."""

    async def seen() -> bool:
        return (await service.client.get(f"/members/{scope.member}")).status_code == 200

    if service.name != "members":
        await eventually(seen)


@pytest.mark.parametrize("name", list(CATALOG))
async def test_generated_requests_get_no_5xx_and_the_common_error_body(
    name: str, platform: dict[str, RunningService]
) -> None:
    service = platform[name]
    world = await build_world(platform["members"].client)
    await projected(service, world.own)
    tokens = [
        token_for([Grant(Role.district_admin, world.own.district), Grant(Role.operations)]),
        token_for([Grant(Role.community_admin, world.own.community)]),
    ]
    openapi = service.app.openapi()
    schema = schemathesis.openapi.from_dict(openapi)
    schema.hook(with_real_ids(real_ids(world)))
    failures: list[str] = []
    sent = 0
    operations = []
    for result in schema.get_all_operations():
        if not isinstance(result, Ok):
            failures.append(f"operation the fuzzer can't read: {result}")
            continue
        operations.append(result.ok())
    base_url = str(service.client.base_url)

    async def send(case: Any, request: dict[str, Any]) -> int:
        nonlocal sent
        response = await service.client.request(**request)
        sent += 1
        found = problem(response)
        if found:
            shown = request.get("json", request.get("params"))
            if "content" in request:
                shown = f"{len(request['content'])} bytes: {request['content'][:12]!r}…"
            body = json.dumps(shown, ensure_ascii=False, default=str)[:200]
            failures.append(f"{case.method} {request['url']} {body} -> {found}")
        return int(response.status_code)

    for index, operation in enumerate(ordered(operations)):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            answered = []
            for number, case in enumerate(generate(operation, mode, seed=index)):
                kwargs = transport(case, base_url, tokens[number % len(tokens)])
                answered.append((await send(case, kwargs) >= 400, case, kwargs))
            if mode == GenerationMode.POSITIVE and answered:
                # NUL and deep nesting on top of a request that went through, if one did
                _, case, kwargs = min(answered, key=lambda a: a[0])
                queries = text_queries(openapi, operation.path, operation.method)
                for request in hostile(case, kwargs, queries):
                    await send(case, request)
    assert sent > 0
    assert not failures, "\n".join(failures[:30])
