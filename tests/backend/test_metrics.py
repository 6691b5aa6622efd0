"""GET /metrics: Prometheus's text format for the staff token or the metrics token, with
the API's, the runner's and the subscriptions' figures (a real server, a real pipeline)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from backend.embedded import Backend
from tests.conftest import STAFF_TOKEN, running
from tests.graphql_client import GraphQLHTTP, GraphQLWS

METRICS_TOKEN = "metrics-token-for-tests"
WAIT_SECONDS = 10.0

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def metrics_url(backend: Backend) -> str:
    return backend.url.removesuffix("/graphql") + "/metrics"


def parse(text: str) -> Samples:
    """Every sample by name and labels; the parser raises on anything not in the format."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def backend(db_path: Path) -> Iterator[Backend]:
    with running(db_path, metrics_token=METRICS_TOKEN) as server:
        yield server


async def scrape(http: httpx.AsyncClient, backend: Backend, token: str = STAFF_TOKEN) -> Samples:
    response = await http.get(metrics_url(backend), headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(response.text)


async def until(
    http: httpx.AsyncClient, backend: Backend, check: Callable[[Samples], bool]
) -> Samples:
    """Scrape until ``check`` holds (the pipeline and the subscriptions run meanwhile)."""
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            samples = await scrape(http, backend)
            if check(samples):
                return samples
            await asyncio.sleep(0.02)


async def test_an_order_through_the_pipeline_shows_in_the_metrics(
    backend: Backend, http: httpx.AsyncClient, staff: GraphQLHTTP, public: GraphQLHTTP
) -> None:
    before = await scrape(http, backend)
    await public.place()
    await staff.data("{ orders { id } }")
    await public.error("{ orders { id } }")

    handlers = ("validate_order", "charge_payment", "send_to_kitchen", "update_inventory")

    def delivered(samples: Samples) -> bool:
        return all(
            value(samples, "passline_deliveries_total", handler=name, outcome="SUCCEEDED") >= 1
            for name in handlers
        )

    samples = await until(http, backend, delivered)
    requests = "passline_graphql_requests_total"
    assert value(samples, requests, operation_type="mutation", outcome="OK") == 1 + value(
        before, requests, operation_type="mutation", outcome="OK"
    )
    assert value(samples, requests, operation_type="query", outcome="OK") >= 1
    assert value(samples, requests, operation_type="query", outcome="UNAUTHENTICATED") == 1
    # The handlers' in-process operations are not HTTP requests.
    assert value(samples, requests, operation_type="mutation", outcome="OK") == 1

    histogram = "passline_graphql_request_duration_seconds"
    count = value(samples, f"{histogram}_count", operation_type="mutation")
    assert count == 1
    assert value(samples, f"{histogram}_bucket", operation_type="mutation", le="+Inf") == count
    assert value(samples, f"{histogram}_sum", operation_type="mutation") > 0

    for name in handlers:
        seconds = "passline_delivery_duration_seconds"
        assert value(samples, f"{seconds}_count", handler=name) >= 1
        assert value(samples, f"{seconds}_bucket", handler=name, le="+Inf") >= 1
        for status in ("PENDING", "RUNNING", "RETRYING", "DEAD"):
            assert (
                "passline_backlog_deliveries",
                frozenset({("handler", name), ("status", status)}),
            ) in samples
        assert value(samples, "passline_handler_paused", handler=name) == 0
    assert (
        value(samples, "passline_backlog_deliveries", handler="validate_order", status="DEAD") == 0
    )
    assert (
        "passline_backlog_oldest_pending_seconds",
        frozenset({("handler", "award_loyalty")}),
    ) in samples
    # The process's own figures, for memory and CPU over time.
    assert value(samples, "process_resident_memory_bytes") > 0


async def test_the_backlog_counts_what_waits_for_a_paused_handler(
    backend: Backend, http: httpx.AsyncClient, staff: GraphQLHTTP
) -> None:
    await staff.data('mutation { pauseHandler(name: "validate_order") { paused } }')
    await staff.place(channel="COUNTER")

    def waiting(samples: Samples) -> bool:
        return (
            value(
                samples, "passline_backlog_deliveries", handler="validate_order", status="PENDING"
            )
            == 1
        )

    samples = await until(http, backend, waiting)
    assert value(samples, "passline_handler_paused", handler="validate_order") == 1
    assert value(samples, "passline_backlog_oldest_pending_seconds", handler="validate_order") >= 0
    await staff.data('mutation { resumeHandler(name: "validate_order") { paused } }')
    samples = await until(
        http,
        backend,
        lambda s: (
            value(s, "passline_backlog_deliveries", handler="validate_order", status="PENDING") == 0
        ),
    )
    assert value(samples, "passline_handler_paused", handler="validate_order") == 0


async def test_subscriptions_and_connections_go_up_and_back_down(
    backend: Backend, http: httpx.AsyncClient, staff: GraphQLHTTP
) -> None:
    def active(samples: Samples) -> tuple[float, float]:
        return (
            value(samples, "passline_subscriptions_active", field="orderChanges"),
            value(samples, "passline_websocket_connections_active"),
        )

    assert active(await scrape(http, backend)) == (0, 0)
    ws = await GraphQLWS.connect(backend.url, STAFF_TOKEN)
    try:
        await ws.subscribe("1", "subscription { orderChanges { seq type } }")
        await until(http, backend, lambda s: active(s) == (1, 1))
        await staff.place(channel="COUNTER")
        assert (await ws.next_data("1"))["orderChanges"]["type"] == "order_placed"
        samples = await scrape(http, backend)
        assert value(samples, "passline_subscription_events_total", field="orderChanges") >= 1
    finally:
        await ws.close()
    await until(http, backend, lambda s: active(s) == (0, 0))


@pytest.mark.parametrize(
    ("authorization", "says"),
    [
        (None, "needs a token"),
        ("Bearer wrong-token", "not valid"),
        (f"Basic {STAFF_TOKEN}", "not valid"),
        ("Bearer", "not valid"),
    ],
)
async def test_metrics_are_refused_without_a_valid_token(
    backend: Backend, http: httpx.AsyncClient, authorization: str | None, says: str
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    response = await http.get(metrics_url(backend), headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert says in response.text and "--metrics-token" in response.text
    assert "passline_" not in response.text


async def test_the_metrics_token_reads_metrics_and_nothing_else(
    backend: Backend, http: httpx.AsyncClient
) -> None:
    samples = await scrape(http, backend, METRICS_TOKEN)
    assert ("passline_websocket_connections_active", frozenset()) in samples
    monitoring = GraphQLHTTP(http, backend.url, METRICS_TOKEN)
    error = await monitoring.error("{ orders { id } }")
    assert error["extensions"]["code"] == "UNAUTHENTICATED"


async def test_other_methods_are_refused(backend: Backend, http: httpx.AsyncClient) -> None:
    response = await http.post(
        metrics_url(backend), headers={"Authorization": f"Bearer {STAFF_TOKEN}"}, content=b"x"
    )
    assert response.status_code == 405
    assert "GET" in response.headers["allow"] and "GET" in response.text


async def statuses(url: str) -> tuple[int, int]:
    """The statuses of a scrape with the staff token, and with METRICS_TOKEN."""
    async with httpx.AsyncClient(timeout=10.0) as http:
        staff = await http.get(url, headers={"Authorization": f"Bearer {STAFF_TOKEN}"})
        other = await http.get(url, headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    return staff.status_code, other.status_code


async def test_without_a_metrics_token_only_the_staff_token_reads_them(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PASSLINE_METRICS_TOKEN", raising=False)
    with running(db_path) as server:
        assert await statuses(metrics_url(server)) == (200, 401)


async def test_the_metrics_token_may_come_from_the_environment(
    db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PASSLINE_METRICS_TOKEN", METRICS_TOKEN)
    with running(db_path) as server:
        assert await statuses(metrics_url(server)) == (200, 200)
