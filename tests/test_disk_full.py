"""A full disk, for real: a headless backend on a small tmpfs that a filler file fills.

Orders are refused with STORAGE_FULL while the disk is full, accepted again once the
filler is removed (no restart), and every order that was acknowledged is there, also
after a restart. A fresh start on a full disk says so in its one "cannot start" line.

The small disk is a tmpfs mounted for the test, which takes root (as CI runs).
"""

from __future__ import annotations

import asyncio
import errno
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.graphql_client import PLACE_ORDER, order_input
from tests.headless import headers, listening_url, start

DISK_SIZE = "8m"
FULL = "the disk is full: free space, nothing was saved"
ATTEMPTS_TO_FILL = 500  # orders placed at most before the first is refused
REFUSED_TOGETHER = 8  # orders sent at once while the disk is full: one commit's batch


@contextmanager
def small_disk(folder: Path) -> Iterator[Path]:
    folder.mkdir()
    assert os.geteuid() == 0, "this test mounts a small tmpfs: run it as root (CI does)"
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_SIZE}", "passline-test", str(folder)],
        check=True,
    )
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=True)


def fill(folder: Path) -> Path:
    """Write a file into ``folder`` until the disk refuses more; the file."""
    filler = folder / "filler"
    chunk = b"\0" * 4096
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(chunk)
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
    return filler


def place(client: httpx.Client, url: str) -> dict[str, Any]:
    variables = {"input": order_input(("margherita", 1), channel="COUNTER")}
    body: dict[str, Any] = client.post(
        url, json={"query": PLACE_ORDER, "variables": variables}
    ).json()
    return body


def acknowledged(body: dict[str, Any]) -> str | None:
    """The order's id if it was acknowledged; None if it was refused for the full disk."""
    if "errors" not in body:
        order_id: str = body["data"]["placeOrder"]["order"]["id"]
        return order_id
    [error] = body["errors"]
    assert error["extensions"] == {"code": "STORAGE_FULL"}, body
    assert error["message"].startswith(FULL), body
    assert body["data"] is None
    return None


async def place_together(url: str, count: int) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(timeout=30.0, headers=headers()) as client:
        variables = {"input": order_input(("margherita", 1), channel="COUNTER")}
        responses = await asyncio.gather(
            *(
                client.post(url, json={"query": PLACE_ORDER, "variables": variables})
                for _ in range(count)
            )
        )
    return [response.json() for response in responses]


def order_ids(client: httpx.Client, url: str) -> set[str]:
    body = client.post(url, json={"query": "{ orders(first: 500) { id } }"}).json()
    assert "errors" not in body, body
    return {order["id"] for order in body["data"]["orders"]}


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return err


def test_a_full_disk_refuses_orders_until_space_is_freed(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        db = disk / "passline.db"
        process = start(db)
        try:
            url = listening_url(process)
            acked: set[str] = set()
            with httpx.Client(timeout=30.0, headers=headers()) as client:
                for _ in range(3):
                    order_id = acknowledged(place(client, url))
                    assert order_id is not None
                    acked.add(order_id)

                filler = fill(disk)
                # What SQLite's files already hold can still take a few orders.
                for _ in range(ATTEMPTS_TO_FILL):
                    order_id = acknowledged(place(client, url))
                    if order_id is None:
                        break
                    acked.add(order_id)
                else:
                    raise AssertionError(f"{ATTEMPTS_TO_FILL} orders fitted on a full disk")
                together = asyncio.run(place_together(url, REFUSED_TOGETHER))
                assert [acknowledged(body) for body in together] == [None] * REFUSED_TOGETHER

                filler.unlink()  # space is freed; the same process goes on
                order_id = acknowledged(place(client, url))
                assert order_id is not None
                acked.add(order_id)
                assert order_ids(client, url) == acked
            stop(process)
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate(timeout=30)

        again = start(db)
        try:
            url = listening_url(again)
            with httpx.Client(timeout=30.0, headers=headers()) as client:
                assert order_ids(client, url) == acked
            err = stop(again)
        finally:
            if again.poll() is None:
                again.kill()
                again.communicate(timeout=30)
        assert "Traceback" not in err


def test_a_start_on_a_full_disk_says_so_in_one_line(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        fill(disk)
        process = start(disk / "passline.db")
        out, err = process.communicate(timeout=60)
    assert process.returncode == 2
    assert out == ""
    [line] = err.splitlines()
    assert line.startswith(f"passline: cannot start: {FULL}"), err
