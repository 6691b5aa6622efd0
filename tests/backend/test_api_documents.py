"""Property: any document built from the schema, valid or with one violation, sent over
HTTP by any role, gets an answer within the loop budget and a margin, never a 5xx and
never a masked internal error, and if it is refused it changes no order, event or menu
item. Documents come from hypothesis-graphql, against the schema the server serves."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from graphql import print_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema

from backend._strawberry import core_schema
from backend.api.schema import build_schema
from backend.registry import Registry
from tests.backend._api import STATE
from tests.backend._hostile import answered_in_time
from tests.conftest import STAFF_TOKEN, running

SCHEMA = print_schema(core_schema(build_schema()))
ROLES = {"staff": {"Authorization": f"Bearer {STAFF_TOKEN}"}, "public": {}}


def check(response: httpx.Response, document: str) -> bool:
    """Assert the answer keeps the contract; whether the request was refused."""
    assert response.status_code < 500, (response.status_code, response.text, document)
    body: dict[str, Any] = response.json()
    errors = body.get("errors") or []
    for error in errors:
        code = (error.get("extensions") or {}).get("code")
        assert code not in (None, "INTERNAL_SERVER_ERROR"), (error, document)
        assert "internal error" not in error["message"], (error, document)
    return bool(errors) or response.status_code >= 400


def state(client: httpx.Client, url: str) -> Any:
    response = client.post(url, json={"query": STATE}, headers=ROLES["staff"])
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def test_documents_from_the_schema_get_a_clear_answer(db_path: Path) -> None:
    with running(db_path, Registry([])) as backend, httpx.Client(timeout=10.0) as client:
        # The data as the last request left it: read once a request, after it.
        last = [state(client, backend.url)]

        @settings(
            max_examples=100,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(
            document=st.one_of(
                from_schema(SCHEMA, mode=Mode.POSITIVE),
                from_schema(SCHEMA, mode=Mode.NEGATIVE),
            ),
            role=st.sampled_from(sorted(ROLES)),
        )
        def answered(document: str, role: str) -> None:
            with answered_in_time(document):
                response = client.post(backend.url, json={"query": document}, headers=ROLES[role])
            refused = check(response, document)
            now = state(client, backend.url)
            if refused:
                assert now == last[0], document
            last[0] = now

        answered()
