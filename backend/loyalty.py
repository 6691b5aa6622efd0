"""Loyalty points: kept per phone number, earned once per COMPLETED order."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import asdict, dataclass

from backend import orders
from backend.database import Tx
from backend.errors import BadUserInput, InvalidTransition
from backend.idempotency import Codec, IdempotencyKey, once
from backend.sql_blocks import SQL
from backend.states import OrderStatus

AWARD_LOYALTY = "awardLoyalty"
CENTS_PER_POINT = 100  # one point per whole unit of currency spent
_NOT_DIGITS = re.compile(r"[^\d]")


@dataclass(frozen=True, slots=True)
class Award:
    order_id: str
    phone: str  # normalised
    points: int  # earned by this order
    balance: int  # the phone number's points now


AWARD = Codec[Award](dump=asdict, load=lambda stored: Award(**stored))


def normalise_phone(phone: str) -> str:
    """One account per number however it is written: digits, and a leading + if given."""
    digits = _NOT_DIGITS.sub("", phone)
    return "+" + digits if phone.strip().startswith("+") else digits


def points_for(total_cents: int) -> int:
    return total_cents // CENTS_PER_POINT


def award(tx: Tx, order_id: str, idempotency_key: IdempotencyKey) -> Award:
    """Credit a COMPLETED order's points to its phone number, once per order."""

    def credit() -> Award:
        order = orders.require_order(tx.conn, order_id)
        if order.status is not OrderStatus.COMPLETED:
            raise InvalidTransition(
                f"order #{order.number} is {order.status.value}; loyalty points are "
                "awarded once it is COMPLETED"
            )
        if order.phone is None or not normalise_phone(order.phone).lstrip("+"):
            raise BadUserInput(
                f"order #{order.number} has no phone number; loyalty points are kept per "
                "phone number",
                field="orderId",
            )
        found = tx.one(SQL.get_loyalty_award, {"order_id": order_id})
        if found is not None:  # awarded already, under another key
            phone, points = found["phone"], found["points"]
        else:
            phone, points = normalise_phone(order.phone), points_for(order.total_cents)
            now = tx.now.isoformat()
            tx.execute(
                SQL.add_loyalty_points, {"phone": phone, "points": points, "updated_at": now}
            )
            tx.execute(
                SQL.insert_loyalty_award,
                {"order_id": order_id, "phone": phone, "points": points, "awarded_at": now},
            )
        return Award(order_id, phone, points, balance(tx.conn, phone))

    return once(tx, AWARD_LOYALTY, idempotency_key, credit, AWARD, request={"orderId": order_id})


def balance(conn: sqlite3.Connection, phone: str) -> int:
    """The points of a phone number (as written anywhere: it is normalised here)."""
    points: int = conn.execute(SQL.loyalty_balance, {"phone": normalise_phone(phone)}).fetchone()[0]
    return points
