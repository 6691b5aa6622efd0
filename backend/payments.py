"""Payments: at most one per order, recorded with the move to PAID."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from enum import StrEnum

from backend import orders
from backend.database import Tx
from backend.errors import BadUserInput
from backend.idempotency import IdempotencyKey, once
from backend.ids import uuid7
from backend.sql_blocks import SQL
from backend.states import OrderAction
from handlers.sdk import PaymentSnapshot

RECORD_PAYMENT = "recordPayment"
TAKE_CASH = "takeCash"


class PaymentMethod(StrEnum):
    CASH = "CASH"  # taken at the counter
    CARD = "CARD"  # charged through the payment gateway; reference is the charge id


@dataclass(frozen=True, slots=True)
class Payment:
    id: str
    order_id: str
    amount_cents: int
    method: PaymentMethod
    reference: str | None

    def snapshot(self) -> PaymentSnapshot:
        """The payment as carried in the ``order_paid`` event (camelCase, like the API)."""
        return {
            "id": self.id,
            "amountCents": self.amount_cents,
            "method": self.method.value,
            "reference": self.reference,
        }


def record_payment(
    tx: Tx,
    order_id: str,
    amount_cents: int,
    method: PaymentMethod,
    reference: str | None,
    idempotency_key: IdempotencyKey,
) -> orders.Order:
    """Record the payment of a VALIDATED order's total and move it to PAID."""

    def record() -> orders.Order:
        return _pay(tx, order_id, amount_cents, method, reference, OrderAction.RECORD_PAYMENT)

    return once(
        tx,
        RECORD_PAYMENT,
        idempotency_key,
        record,
        orders.ORDER_SNAPSHOT,
        request={
            "orderId": order_id,
            "amountCents": amount_cents,
            "method": method,
            "reference": reference,
        },
    )


def take_cash(
    tx: Tx, order_id: str, amount_cents: int, idempotency_key: IdempotencyKey | None
) -> orders.Order:
    """Staff took the total of an order whose card was declined in cash: PAID, and on to
    the kitchen through ``order_paid`` like any payment."""

    def record() -> orders.Order:
        return _pay(tx, order_id, amount_cents, PaymentMethod.CASH, None, OrderAction.TAKE_CASH)

    return once(
        tx,
        TAKE_CASH,
        idempotency_key,
        record,
        orders.ORDER_SNAPSHOT,
        request={"orderId": order_id, "amountCents": amount_cents},
    )


def _pay(
    tx: Tx,
    order_id: str,
    amount_cents: int,
    method: PaymentMethod,
    reference: str | None,
    action: OrderAction,
) -> orders.Order:
    order = orders.require_order(tx.conn, order_id)
    orders.check_transition(order, action)
    if amount_cents != order.total_cents:
        raise BadUserInput(
            f"amountCents {amount_cents} is not the total of order #{order.number} "
            f"({order.total_cents}); record the order's total",
            field="amountCents",
        )
    payment = Payment(uuid7(), order_id, amount_cents, method, reference)
    tx.execute(
        SQL.insert_payment,
        {
            "id": payment.id,
            "order_id": order_id,
            "amount_cents": amount_cents,
            "method": method.value,
            "reference": reference,
            "created_at": tx.now.isoformat(),
        },
    )
    details = {"payment": payment.snapshot()}
    return orders.transition(tx, order_id, action, details=details)


def payment_of(conn: sqlite3.Connection, order_id: str) -> Payment | None:
    row = conn.execute(SQL.payment_of_order, {"order_id": order_id}).fetchone()
    if row is None:
        return None
    return Payment(
        id=row["id"],
        order_id=row["order_id"],
        amount_cents=row["amount_cents"],
        method=PaymentMethod(row["method"]),
        reference=row["reference"],
    )
