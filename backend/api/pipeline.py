"""The handler role's mutations: each moves an order one step of the pipeline.

Only the ``handler`` role may call them (``auth.POLICY``). Each takes the caller's
idempotency key: sent again with a used key, it returns its first result and
writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import strawberry

from backend import drivers, inventory, loyalty, orders, payments
from backend.api.arguments import check_id
from backend.api.permissions import GUARDED
from backend.api.types import Info, Order
from backend.database import Tx
from backend.errors import BadUserInput
from backend.idempotency import IdempotencyKey
from backend.orders import check_text
from backend.states import OrderAction

T = TypeVar("T")

PaymentMethod = strawberry.enum(payments.PaymentMethod, name="PaymentMethod")


@strawberry.type
class StockLevel:
    menu_item_id: strawberry.ID
    name: str
    stock: int | None = strawberry.field(description="None: this item's stock is not counted.")
    available: bool

    @classmethod
    def of(cls, level: inventory.StockLevel) -> StockLevel:
        return cls(
            menu_item_id=strawberry.ID(level.menu_item_id),
            name=level.name,
            stock=level.stock,
            available=level.available,
        )


@strawberry.type
class Driver:
    id: strawberry.ID
    name: str
    phone: str


@strawberry.type
class Dispatch:
    order: Order
    driver: Driver

    @classmethod
    def of(cls, done: drivers.Dispatch) -> Dispatch:
        driver = done.driver
        return cls(
            order=Order.of(done.order),
            driver=Driver(id=strawberry.ID(driver.id), name=driver.name, phone=driver.phone),
        )


@strawberry.type
class LoyaltyAward:
    order_id: strawberry.ID
    phone: str
    points: int = strawberry.field(description="Earned by this order.")
    balance: int = strawberry.field(description="The phone number's points now.")

    @classmethod
    def of(cls, award: loyalty.Award) -> LoyaltyAward:
        return cls(
            order_id=strawberry.ID(award.order_id),
            phone=award.phone,
            points=award.points,
            balance=award.balance,
        )


def _required(value: str, field: str) -> str:
    text = check_text(value, field)
    if text is None:
        raise BadUserInput(f"{field} is empty; send a non-empty {field}", field=field)
    return text


async def _write(
    info: Info,
    order_id: strawberry.ID,
    key: str,
    unit: Callable[[Tx, str, IdempotencyKey], T],
) -> T:
    """Run ``unit(tx, order_id, key)`` with both arguments checked, the key as the caller's."""
    checked_id = check_id(str(order_id), "orderId")
    checked_key = IdempotencyKey.of(info.context.principal, _required(key, "idempotencyKey"))
    return await info.context.services.db.write(lambda tx: unit(tx, checked_id, checked_key))


async def _move(
    info: Info, order_id: strawberry.ID, key: str, action: OrderAction, **details: str
) -> Order:
    def unit(tx: Tx, checked_id: str, checked_key: IdempotencyKey) -> orders.Order:
        return orders.transition_once(tx, checked_id, action, checked_key, details=details or None)

    return Order.of(await _write(info, order_id, key, unit))


@strawberry.type
class PipelineMutation:
    @strawberry.mutation(permission_classes=GUARDED, description="PLACED -> VALIDATED.")
    async def mark_validated(
        self, info: Info, order_id: strawberry.ID, idempotency_key: str
    ) -> Order:
        return await _move(info, order_id, idempotency_key, OrderAction.VALIDATE)

    @strawberry.mutation(permission_classes=GUARDED, description="PLACED -> REJECTED.")
    async def reject_order(
        self, info: Info, order_id: strawberry.ID, reason: str, idempotency_key: str
    ) -> Order:
        text = _required(reason, "reason")
        return await _move(info, order_id, idempotency_key, OrderAction.REJECT, reason=text)

    @strawberry.mutation(
        permission_classes=GUARDED,
        description="VALIDATED -> PAID, recording the payment of the order's total.",
    )
    async def record_payment(
        self,
        info: Info,
        order_id: strawberry.ID,
        amount_cents: int,
        method: PaymentMethod,  # type: ignore[valid-type]
        idempotency_key: str,
        reference: str | None = None,
    ) -> Order:
        ref = check_text(reference, "reference")

        def unit(tx: Tx, checked_id: str, checked_key: IdempotencyKey) -> orders.Order:
            return payments.record_payment(tx, checked_id, amount_cents, method, ref, checked_key)

        return Order.of(await _write(info, order_id, idempotency_key, unit))

    @strawberry.mutation(permission_classes=GUARDED, description="VALIDATED -> PAYMENT_FAILED.")
    async def fail_payment(
        self, info: Info, order_id: strawberry.ID, reason: str, idempotency_key: str
    ) -> Order:
        text = _required(reason, "reason")
        return await _move(info, order_id, idempotency_key, OrderAction.FAIL_PAYMENT, reason=text)

    @strawberry.mutation(permission_classes=GUARDED, description="PAID -> IN_KITCHEN.")
    async def mark_in_kitchen(
        self, info: Info, order_id: strawberry.ID, idempotency_key: str
    ) -> Order:
        return await _move(info, order_id, idempotency_key, OrderAction.SEND_TO_KITCHEN)

    @strawberry.mutation(
        permission_classes=GUARDED,
        description="Take a paid order's items off stock, once; the stock of its items.",
    )
    async def apply_inventory(
        self, info: Info, order_id: strawberry.ID, idempotency_key: str
    ) -> list[StockLevel]:
        levels = await _write(info, order_id, idempotency_key, inventory.apply_order)
        return [StockLevel.of(level) for level in levels]

    @strawberry.mutation(
        permission_classes=GUARDED,
        description="READY -> OUT_FOR_DELIVERY with the least busy driver (delivery orders).",
    )
    async def dispatch_order(
        self, info: Info, order_id: strawberry.ID, idempotency_key: str
    ) -> Dispatch:
        return Dispatch.of(await _write(info, order_id, idempotency_key, drivers.dispatch))

    @strawberry.mutation(
        permission_classes=GUARDED,
        description="Credit a COMPLETED order's loyalty points to its phone number, once.",
    )
    async def award_loyalty(
        self, info: Info, order_id: strawberry.ID, idempotency_key: str
    ) -> LoyaltyAward:
        return LoyaltyAward.of(await _write(info, order_id, idempotency_key, loyalty.award))
