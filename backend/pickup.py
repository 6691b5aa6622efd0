"""The pickup screen's board: order numbers and a coarse state, nothing else.

It is public (a TV by the counter shows it without a token), so it carries no name,
phone, item or id: only the number a customer was given and whether it is ready.
Only orders the customer collects at the counter are on it: delivery orders are left
out (a driver collects them), and so are dine-in orders (staff bring them to the table,
and their status page says so: a number under "Ready for pickup" would send the guest
to the counter for nothing).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from backend.sql_blocks import SQL
from backend.states import Fulfillment, OrderStatus


class PickupState(StrEnum):
    PREPARING = "PREPARING"  # paid, being made (PAID, IN_KITCHEN)
    READY = "READY"  # waiting at the counter (READY) until staff complete it


_STATE_OF = {
    OrderStatus.PAID: PickupState.PREPARING,
    OrderStatus.IN_KITCHEN: PickupState.PREPARING,
    OrderStatus.READY: PickupState.READY,
}

# number -> state; the board as a pickup screen shows it.
Board = dict[int, PickupState]


def state_of(status: OrderStatus, fulfillment: Fulfillment) -> PickupState | None:
    """Where an order stands on the board; None: not on it."""
    if fulfillment is not Fulfillment.TAKEAWAY:
        return None
    return _STATE_OF.get(status)


def load_board(conn: sqlite3.Connection) -> Board:
    return {
        row["number"]: _STATE_OF[OrderStatus(row["status"])]
        for row in conn.execute(SQL.pickup_board)
    }


def apply(board: Board, order: Mapping[str, Any]) -> bool:
    """Move one order (an event's snapshot) on ``board``; True if the board changed."""
    number = int(order["number"])
    state = state_of(OrderStatus(order["status"]), Fulfillment(order["fulfillment"]))
    if board.get(number) is state:
        return False
    if state is None:
        del board[number]
    else:
        board[number] = state
    return True
