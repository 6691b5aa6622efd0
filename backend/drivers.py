"""Drivers: a READY delivery order goes out with the least busy active driver."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from backend import orders
from backend.database import Tx
from backend.errors import NotFound
from backend.idempotency import Codec, IdempotencyKey, once
from backend.sql_blocks import SQL
from backend.states import OrderAction
from handlers.sdk import DriverSnapshot

DISPATCH_ORDER = "dispatchOrder"


@dataclass(frozen=True, slots=True)
class Driver:
    id: str
    name: str
    phone: str

    def snapshot(self) -> DriverSnapshot:
        return {"id": self.id, "name": self.name, "phone": self.phone}


@dataclass(frozen=True, slots=True)
class Dispatch:
    order: orders.Order
    driver: Driver


DISPATCH = Codec[Dispatch](
    dump=lambda d: {"order": d.order.snapshot(), "driver": d.driver.snapshot()},
    load=lambda stored: Dispatch(
        orders.Order.from_snapshot(stored["order"]), Driver(**stored["driver"])
    ),
)


def dispatch(tx: Tx, order_id: str, idempotency_key: IdempotencyKey) -> Dispatch:
    """Give a READY delivery order to the least busy driver: OUT_FOR_DELIVERY."""

    def assign() -> Dispatch:
        order = orders.require_order(tx.conn, order_id)
        orders.check_transition(order, OrderAction.DISPATCH)
        driver = least_busy(tx.conn)
        if driver is None:
            raise NotFound(
                f"no active driver can take order #{order.number}; add or activate one "
                "in the drivers table, then retry the delivery"
            )
        tx.execute(
            SQL.insert_driver_assignment,
            {"order_id": order_id, "driver_id": driver.id, "assigned_at": tx.now.isoformat()},
        )
        details = {"driver": driver.snapshot()}
        moved = orders.transition(tx, order_id, OrderAction.DISPATCH, details=details)
        return Dispatch(moved, driver)

    return once(
        tx, DISPATCH_ORDER, idempotency_key, assign, DISPATCH, request={"orderId": order_id}
    )


def least_busy(conn: sqlite3.Connection) -> Driver | None:
    """The active driver with the fewest orders out now (then fewest ever, then by id)."""
    return _driver(conn.execute(SQL.least_busy_driver).fetchone())


def driver_of(conn: sqlite3.Connection, order_id: str) -> Driver | None:
    return _driver(conn.execute(SQL.driver_of_order, {"order_id": order_id}).fetchone())


def _driver(row: sqlite3.Row | None) -> Driver | None:
    return None if row is None else Driver(row["id"], row["name"], row["phone"])
