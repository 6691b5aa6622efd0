"""Made-up customers for ``--demo``: who orders, through which channel, and what.

Pure functions of a ``random.Random`` and the menu, so a seed replays the same day.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NotRequired, TypedDict, TypeVar

# How customers reach the restaurant, and how each channel's orders are fulfilled.
CHANNEL_WEIGHTS = {"WEB": 35, "KIOSK": 25, "PHONE": 20, "COUNTER": 20}
FULFILLMENTS = {
    "WEB": {"TAKEAWAY": 45, "DELIVERY": 55},
    "PHONE": {"TAKEAWAY": 40, "DELIVERY": 60},
    "KIOSK": {"DINE_IN": 60, "TAKEAWAY": 40},
    "COUNTER": {"DINE_IN": 55, "TAKEAWAY": 45},
}
TABLES = 30  # a DINE_IN party sits at one of tables 1 to 30
PARTY_SIZES = {1: 40, 2: 35, 3: 15, 4: 10}
MAINS = ("Pizza", "Mains")
# (category, chance per person) ordered on top of a main; shared ones once per party.
EXTRAS_PER_PERSON = (("Drinks", 0.7), ("Sides", 0.25))
EXTRAS_SHARED = (("Starters", 0.4), ("Desserts", 0.3))
LINE_NOTES = ("no onions", "extra spicy", "well done", "sauce on the side", "no ice")
LINE_NOTE_CHANCE = 0.08
ORDER_NOTES = ("ring the bell twice", "birthday, a candle please", "allergic to nuts")
ORDER_NOTE_CHANCE = 0.1

FIRST_NAMES = (
    "Ada", "Ben", "Chloé", "Dev", "Elif", "Femi", "Grace", "Hiro", "Inés", "Jonas",
    "Kofi", "Lena", "Mateo", "Noor", "Olga", "Priya", "Quinn", "Rosa", "Sami", "Tomás",
)  # fmt: skip
SURNAMES = ("Okafor", "Nguyen", "Müller", "Rossi", "Kowalski", "Haddad", "Silva", "Park")
STREETS = ("Harbour Road", "Mill Lane", "Station Street", "Elm Avenue", "Canal Walk")
CITY = "Portsmouth"

K = TypeVar("K")


class OrderLineInput(TypedDict):
    menuItemId: str
    quantity: int
    notes: NotRequired[str]
    modifierIds: NotRequired[list[str]]


class PlaceOrderInput(TypedDict):
    items: list[OrderLineInput]
    channel: str
    fulfillment: str
    customerName: NotRequired[str]
    phone: NotRequired[str]
    address: NotRequired[str]
    notes: NotRequired[str]
    table: NotRequired[int]


@dataclass(frozen=True, slots=True)
class RequiredChoice:
    """A modifier group an item cannot be ordered without ("Doneness": pick 1)."""

    count: int  # the group's minChoices
    options: tuple[str, ...]  # its modifiers' ids


@dataclass(frozen=True, slots=True)
class MenuChoice:
    """An item a customer can order (from the ``menu`` query)."""

    id: str
    category: str
    required: tuple[RequiredChoice, ...] = ()

    @classmethod
    def of(cls, item: Mapping[str, Any]) -> MenuChoice:
        """From an item of the ``menu`` query (``modifierGroups``: ``minChoices`` and
        ``modifiers { id }``)."""
        return cls(
            str(item["id"]),
            str(item["category"]),
            tuple(
                RequiredChoice(
                    int(group["minChoices"]), tuple(str(m["id"]) for m in group["modifiers"])
                )
                for group in item.get("modifierGroups", ())
                if group["minChoices"] > 0
            ),
        )


def _weighted(rng: random.Random, weights: Mapping[K, int]) -> K:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def phone_number(rng: random.Random) -> str:
    # 555-0100 to 555-0199 are reserved for fiction in North America.
    return f"+1 202 555 01{rng.randrange(100):02d}"


def basket(rng: random.Random, menu: Sequence[MenuChoice]) -> list[OrderLineInput]:
    """What a party orders: a main each, drinks and sides, maybe a starter and dessert."""
    by_category: dict[str, list[str]] = {}
    required = {choice.id: choice.required for choice in menu}
    for choice in menu:
        by_category.setdefault(choice.category, []).append(choice.id)
    mains = [item for category in MAINS for item in by_category.get(category, [])]
    if not mains:  # a menu without those categories: any items will do
        mains = [choice.id for choice in menu]
    party = _weighted(rng, PARTY_SIZES)
    picks = [rng.choice(mains) for _ in range(party)]
    for category, chance in EXTRAS_PER_PERSON:
        options = by_category.get(category)
        if options:
            picks += [rng.choice(options) for _ in range(party) if rng.random() < chance]
    for category, chance in EXTRAS_SHARED:
        options = by_category.get(category)
        if options and rng.random() < chance:
            picks.append(rng.choice(options))
    lines: list[OrderLineInput] = []
    for item, quantity in Counter(picks).items():
        line: OrderLineInput = {"menuItemId": item, "quantity": quantity}
        if rng.random() < LINE_NOTE_CHANCE:
            line["notes"] = rng.choice(LINE_NOTES)
        # A steak is ordered with its doneness: the API refuses it without.
        chosen = [m for need in required[item] for m in rng.sample(need.options, need.count)]
        if chosen:
            line["modifierIds"] = chosen
        lines.append(line)
    return lines


def random_order(rng: random.Random, menu: Sequence[MenuChoice]) -> PlaceOrderInput:
    """One customer's order; ``menu`` holds the available items (at least one)."""
    channel = _weighted(rng, CHANNEL_WEIGHTS)
    fulfillment = _weighted(rng, FULFILLMENTS[channel])
    order: PlaceOrderInput = {
        "items": basket(rng, menu),
        "channel": channel,
        "fulfillment": fulfillment,
        "customerName": f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)[0]}.",
    }
    if channel in ("WEB", "PHONE") or fulfillment == "DELIVERY":
        order["phone"] = phone_number(rng)
    if fulfillment == "DINE_IN":
        order["table"] = rng.randint(1, TABLES)
    if fulfillment == "DELIVERY":
        order["address"] = f"{rng.randint(1, 220)} {rng.choice(STREETS)}, {CITY}"
    if rng.random() < ORDER_NOTE_CHANCE:
        order["notes"] = rng.choice(ORDER_NOTES)
    return order
