"""Who may do what: tokens, roles and the one policy table of the API.

Roles (docs/api.md, "Authentication and roles"): ``staff`` holds the staff token;
``customer`` holds one order's access token and reads what a customer's page needs of
that order (the order, its items, status, times and ``statusReason``), nothing of the
event runner; ``handler`` is only ever given in-process; ``public`` sent no token and
may read the menu and place WEB or KIOSK orders.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from backend.errors import Forbidden, Unauthenticated
from backend.states import Channel

STAFF_TOKEN_ENV = "PASSLINE_STAFF_TOKEN"
STAFF_TOKEN_FILE = "staff-token"
_CUSTOMER_PREFIX = "c1"


class Role(StrEnum):
    STAFF = "staff"
    CUSTOMER = "customer"
    HANDLER = "handler"
    PUBLIC = "public"


@dataclass(frozen=True, slots=True)
class Principal:
    role: Role
    order_id: str | None = None  # the customer's order
    rejected: str | None = None  # why a presented token was refused


PUBLIC = Principal(Role.PUBLIC)
STAFF = Principal(Role.STAFF)
HANDLER = Principal(Role.HANDLER)

_ANY = frozenset(Role)
_STAFF = frozenset({Role.STAFF})
_STAFF_HANDLER = frozenset({Role.STAFF, Role.HANDLER})
_HANDLER = frozenset({Role.HANDLER})  # the pipeline's steps: staff act through the handlers

ROOT_TYPES = frozenset({"Query", "Mutation", "Subscription"})

# "Type.field" -> roles allowed. A root field not listed here is refused to everyone;
# a field below the root not listed is allowed to whoever reached its parent.
POLICY: dict[str, frozenset[Role]] = {
    "Query.menu": _ANY,
    "Query.phoneRegion": _ANY,
    # Order numbers and PREPARING/READY only: the customer pages' pickup screen.
    "Query.pickupBoard": _ANY,
    "Subscription.pickupBoard": _ANY,
    "Subscription.menu": _ANY,
    "Query.order": frozenset({Role.STAFF, Role.HANDLER, Role.CUSTOMER}),
    "Query.orders": _STAFF_HANDLER,
    "Query.events": _STAFF_HANDLER,
    "Query.event": _STAFF_HANDLER,
    "Query.handlers": _STAFF_HANDLER,
    "Query.handlerActivity": _STAFF,
    "Query.backupStatus": _STAFF,
    "Query.ticketTimes": _STAFF,
    "Mutation.placeOrder": _ANY,
    "Mutation.markReady": _STAFF,
    "Mutation.reprintKitchenTicket": _STAFF,
    "Mutation.completeOrder": _STAFF,
    "Mutation.cancelOrder": _STAFF,
    "Mutation.recallOrder": _STAFF,
    "Mutation.markItemDone": _STAFF,
    "Mutation.markItemNotDone": _STAFF,
    "Mutation.markStationDone": _STAFF,
    "Mutation.markStationNotDone": _STAFF,
    "Mutation.setCategoryStation": _STAFF,
    "Mutation.retryPayment": _STAFF,
    "Mutation.takeCash": _STAFF,
    "Mutation.setMenuItemAvailable": _STAFF_HANDLER,
    "Mutation.setMenuItemStock": _STAFF,
    "Mutation.setMenuItemPrepTime": _STAFF,
    "Subscription.orderChanges": _STAFF_HANDLER,
    "Subscription.order": frozenset({Role.STAFF, Role.HANDLER, Role.CUSTOMER}),
    "Subscription.eventLog": _STAFF_HANDLER,
    "Subscription.handlerStats": _STAFF_HANDLER,
    "Mutation.retryDelivery": _STAFF,
    "Mutation.retryDead": _STAFF,
    "Mutation.replayEvent": _STAFF,
    "Mutation.resolveDelivery": _STAFF,
    "Mutation.resolveDeliveries": _STAFF,
    "Mutation.retryDeliveries": _STAFF,
    "Query.deadDeliveryCount": _STAFF,
    "Mutation.pauseHandler": _STAFF,
    "Mutation.resumeHandler": _STAFF,
    "Mutation.markValidated": _HANDLER,
    "Mutation.rejectOrder": _HANDLER,
    "Mutation.recordPayment": _HANDLER,
    "Mutation.failPayment": _HANDLER,
    "Mutation.markInKitchen": _HANDLER,
    "Mutation.applyInventory": _HANDLER,
    "Mutation.dispatchOrder": _HANDLER,
    "Mutation.awardLoyalty": _HANDLER,
    # Why staff cancelled an order: their note to each other, not the customer's to read.
    "Order.cancelReason": _STAFF_HANDLER,
    # The ways from an order into the event runner's record of it: its events, their
    # deliveries to each handler, every attempt with its error and traceback. The
    # kitchen's, not the customer's (``Delivery.lastError`` and ``Invocation`` are only
    # reached through these; tests/backend/test_api_internals.py walks the schema).
    # A root field checks them in its caller's selection (api/permissions.py);
    # Order.events also carries the permission class, as the one way in. The other two
    # do not: they resolve once per event and delivery of the staff's event lists,
    # where a permission class cost 10-20 % of the CPU time of a 500-event query.
    "Order.events": _STAFF_HANDLER,
    "Event.deliveries": _STAFF_HANDLER,
    "Delivery.invocations": _STAFF_HANDLER,
}
# The roles some field below the root is refused to: a query of theirs is checked
# field by field before it runs (api/permissions.py), so nothing is done for it.
LIMITED_ROLES = frozenset(
    role
    for field, roles in POLICY.items()
    if field.partition(".")[0] not in ROOT_TYPES
    for role in Role
    if role not in roles
)
PUBLIC_CHANNELS = frozenset({Channel.WEB, Channel.KIOSK})


def authorize(principal: Principal, field: str) -> None:
    """Raise unless ``principal`` may use the field ``field`` ("Type.name")."""
    if principal.rejected is not None:
        raise Unauthenticated(principal.rejected)
    if field.partition(".")[0] not in ROOT_TYPES:
        _authorize_below_root(principal, field)
        return
    allowed = POLICY.get(field, frozenset())
    if principal.role in allowed:
        return
    if principal.role is Role.PUBLIC:
        raise Unauthenticated(
            f"{field.split('.')[1]} needs a token: send 'Authorization: Bearer <token>' "
            "(the staff token, or the order's accessToken)"
        )
    raise Forbidden(f"the {principal.role.value} role may not use {field.split('.')[1]}")


def _authorize_below_root(principal: Principal, field: str) -> None:
    allowed = POLICY.get(field)
    if allowed is None or principal.role in allowed:
        return
    name = field.partition(".")[2]
    what = (
        f"{field} is the kitchen's record of how orders are handled (events, deliveries, "
        "attempts and their errors), for the staff only"
    )
    if principal.role is Role.PUBLIC:
        raise Unauthenticated(f"{what}: send the staff token, or leave {name} out of the query")
    raise Forbidden(
        f"{what}: an order's accessToken reads the order itself (status, items, times, "
        f"statusReason); leave {name} out of the query"
    )


def authorize_order(principal: Principal, order_id: str) -> None:
    """A customer token reads and follows only its own order."""
    if principal.role is Role.CUSTOMER and principal.order_id != order_id:
        raise Forbidden("this access token belongs to another order")


def authorize_channel(principal: Principal, channel: Channel) -> None:
    """Without the staff token, orders come only from the web page or a kiosk."""
    if principal.role in (Role.STAFF, Role.HANDLER) or channel in PUBLIC_CHANNELS:
        return
    raise Unauthenticated(
        f"{channel.value} orders are placed by staff: send the staff token, or use channel "
        "WEB or KIOSK"
    )


class Tokens:
    """Checks presented tokens and makes customer access tokens."""

    def __init__(self, staff_token: str, secret: bytes) -> None:
        self._staff = staff_token.encode()
        self._secret = secret

    def customer_token(self, order_id: str) -> str:
        return f"{_CUSTOMER_PREFIX}.{order_id}.{self._sign(order_id)}"

    def _sign(self, order_id: str) -> str:
        digest = hmac.new(self._secret, order_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:18]).decode()

    def principal(self, authorization: object) -> Principal:
        """The principal for an ``Authorization`` value ("Bearer <token>"), or PUBLIC."""
        if authorization is None or authorization == "":
            return PUBLIC
        if not isinstance(authorization, str):
            return Principal(
                Role.PUBLIC, rejected="authorization must be a string 'Bearer <token>'"
            )
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return Principal(Role.PUBLIC, rejected="authorization must look like 'Bearer <token>'")
        if hmac.compare_digest(token.encode(), self._staff):
            return STAFF
        prefix, _, rest = token.partition(".")
        order_id, _, signature = rest.rpartition(".")
        if (
            prefix == _CUSTOMER_PREFIX
            and order_id
            and hmac.compare_digest(signature.encode(), self._sign(order_id).encode())
        ):
            return Principal(Role.CUSTOMER, order_id=order_id)
        return Principal(
            Role.PUBLIC,
            rejected="the token is not valid: use the current staff token or the "
            "accessToken returned by placeOrder",
        )


def existing_staff_token(db_path: Path) -> str | None:
    """$PASSLINE_STAFF_TOKEN, else the staff-token file beside the database, if any."""
    from_env = os.environ.get(STAFF_TOKEN_ENV)
    if from_env:
        return from_env
    try:
        token = (db_path.parent / STAFF_TOKEN_FILE).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return token or None


def staff_token(db_path: Path, given: str | None = None) -> str:
    """The staff token: given, else $PASSLINE_STAFF_TOKEN, else the staff-token file
    beside the database (generated with mode 0600 on first run)."""
    if given:
        return given
    token = existing_staff_token(db_path)
    if token:
        return token
    path = db_path.parent / STAFF_TOKEN_FILE
    token = secrets.token_urlsafe(24)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole beside it, then put in place: a full disk leaves no cut-off token.
    partial = path.with_name(f".{path.name}.tmp")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        partial.chmod(0o600)  # the mode above applies only to a file that did not exist yet
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(token + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return token
