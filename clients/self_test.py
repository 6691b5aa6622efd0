"""``--self-test``: this installation checked end to end, as a client of its own API.

On a temporary folder it starts a backend (as the dashboard starts its embedded one),
places an order over GraphQL, waits until the handlers have taken it to IN_KITCHEN and
has the window checked (the caller's ``check_window``: the dashboard's side lives in
``ui/``, the backend's start in ``main.py``; this module knows neither). The verdict is
one line: exit status 0, or 1 with what failed on stderr, followed by the steps done
before it and when. The steps of a run that passed are logged at DEBUG only
(``--log-level debug``): on success the output is the verdict and nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from clients.graphql import GraphQLError, HttpApi, describe, http_client

SELF_TEST_TIMEOUT_SECONDS = 30.0  # each wait of --self-test, at most
POLL_SECONDS = 0.05

PLACE_ORDER = (
    "mutation($item: ID!) { placeOrder(input: {channel: COUNTER, fulfillment: TAKEAWAY,"
    ' customerName: "Self-test", items: [{menuItemId: $item, quantity: 1}]})'
    " { order { id } } }"
)
ORDER_STATUS = "query($id: ID!) { order(id: $id) { status } }"
HANDLERS = "{ handlers { name pending retrying dead lastError } }"
GAVE_UP = ("REJECTED", "PAYMENT_FAILED", "CANCELLED")

Mark = Callable[[str], None]  # records a step with the time since the process started

log = logging.getLogger("passline.self_test")


class SelfTestError(Exception):
    """A step of ``--self-test`` failed; the message says which and why."""


class BackendProcess(Protocol):
    """A backend the self-test starts (``(url, staff token)``) and stops."""

    def start(self) -> tuple[str, str]: ...

    def stop(self) -> object: ...


WindowCheck = Callable[[str, str, str, Mark], None]  # (url, token, order id, mark)


def process_age() -> float:
    """Seconds since this process started (Linux; 0 where /proc is not there)."""
    try:
        stat = Path("/proc/self/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return max(0.0, uptime - ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


def run_self_test(
    version: str,
    backend_in: Callable[[Path], BackendProcess],
    check_window: WindowCheck,
) -> int:
    """The whole self-test: 0 if it passed, 1 (with the reason on stderr) if not.

    ``backend_in(folder)`` is the backend to start on a database in ``folder``."""
    started = time.monotonic() - process_age()
    steps: list[str] = []

    def mark(what: str) -> None:
        step = f"{what} ({time.monotonic() - started:.2f} s after start)"
        steps.append(step)
        log.debug("self-test: %s", step)

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    with tempfile.TemporaryDirectory(prefix="passline-self-test-") as tmp:
        # The window's settings go to the temporary folder, not the user's.
        os.environ["XDG_CONFIG_HOME"] = str(Path(tmp) / "config")
        try:
            _check(backend_in(Path(tmp)), check_window, mark)
        except SelfTestError as exc:
            _failed(str(exc), steps)
            return 1
        except Exception as exc:
            _failed(f"unexpected {describe(exc)}", steps)
            return 1
    print(f"passline {version}: self-test passed", flush=True)
    return 0


def _failed(what: str, steps: list[str]) -> None:
    print(f"passline: self-test FAILED: {what}", file=sys.stderr, flush=True)
    done = "; ".join(steps) if steps else "none"
    print(f"passline: self-test steps done before: {done}", file=sys.stderr, flush=True)


def _check(backend: BackendProcess, check_window: WindowCheck, mark: Mark) -> None:
    try:
        url, token = backend.start()
    except Exception as exc:
        backend.stop()
        # The child's own line says why; an exception without words, its type.
        said = str(exc).strip() or describe(exc)
        raise SelfTestError(f"the embedded backend did not start: {said}") from exc
    mark("backend started")
    try:
        order_id = asyncio.run(order_in_kitchen(url, token))
        mark("order in the kitchen")
        asyncio.run(customer_pages(url.removesuffix("/graphql")))
        mark("customer pages served")
        check_window(url, token, order_id, mark)
    finally:
        backend.stop()


async def order_in_kitchen(url: str, token: str) -> str:
    """Place an order; wait until the handlers take it to IN_KITCHEN; its id."""
    async with http_client(SELF_TEST_TIMEOUT_SECONDS) as http:
        api = HttpApi(http, url, token)
        menu = (await _ask(api, "{ menu { id available } }"))["menu"]
        item = next((entry["id"] for entry in menu if entry["available"]), None)
        if item is None:
            raise SelfTestError(
                "the seed menu is empty: resources/menu.json missing from the install?"
            )
        placed = await _ask(api, PLACE_ORDER, item=item)
        order_id: str = placed["placeOrder"]["order"]["id"]
        deadline = time.monotonic() + SELF_TEST_TIMEOUT_SECONDS
        status = "PLACED"
        while time.monotonic() < deadline:
            status = (await _ask(api, ORDER_STATUS, id=order_id))["order"]["status"]
            if status == "IN_KITCHEN":
                return order_id
            if status in GAVE_UP:
                break
            await asyncio.sleep(POLL_SECONDS)
        handlers = (await _ask(api, HANDLERS))["handlers"]
    if not handlers:
        raise SelfTestError(
            f"the order stayed {status}: no handlers are registered "
            "(the handlers package is missing from this installation)"
        )
    troubled = [h for h in handlers if h["dead"] or h["retrying"] or h["lastError"]]
    raise SelfTestError(
        f"the order did not reach IN_KITCHEN within {SELF_TEST_TIMEOUT_SECONDS:g} s "
        f"(status {status}); handlers with trouble: {troubled or 'none'}"
    )


async def customer_pages(base: str) -> None:
    """The customer pages and their vendored client are in the installation."""
    async with http_client(SELF_TEST_TIMEOUT_SECONDS) as http:
        for path, marker in (
            ("/", "graphql-ws.min.js"),
            ("/web/vendor/graphql-ws.min.js", "graphqlWs"),
        ):
            try:
                response = await http.get(base + path)
            except Exception as exc:  # an httpx timeout's text is empty: describe it
                raise SelfTestError(f"GET {path} failed: {describe(exc)}") from exc
            if response.status_code != 200 or marker not in response.text:
                raise SelfTestError(
                    f"GET {path} answered {response.status_code} without {marker!r}: "
                    "resources/web missing from this installation?"
                )


async def _ask(api: HttpApi, query: str, **variables: Any) -> dict[str, Any]:
    try:
        return await api.execute(query, variables)
    except GraphQLError as exc:
        raise SelfTestError(f"GraphQL request failed: {exc}") from exc
