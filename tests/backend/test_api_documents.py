"""Property: any document built from the schema, valid or with one violation, sent over
HTTP by any role, gets an answer (no hang), never a 5xx and never a masked internal
error. Documents come from hypothesis-graphql, against the schema the server serves."""

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
from tests.conftest import STAFF_TOKEN, running

SCHEMA = print_schema(core_schema(build_schema()))
ROLES = {"staff": {"Authorization": f"Bearer {STAFF_TOKEN}"}, "public": {}}


def check(response: httpx.Response, document: str) -> None:
    assert response.status_code < 500, (response.status_code, response.text, document)
    body: dict[str, Any] = response.json()
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        assert code not in (None, "INTERNAL_SERVER_ERROR"), (error, document)
        assert "internal error" not in error["message"], (error, document)


def test_documents_from_the_schema_get_a_clear_answer(db_path: Path) -> None:
    with running(db_path, Registry([])) as backend, httpx.Client(timeout=10.0) as client:

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
            response = client.post(backend.url, json={"query": document}, headers=ROLES[role])
            check(response, document)

        answered()
