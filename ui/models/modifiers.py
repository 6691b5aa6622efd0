"""A menu item's modifier groups as the dashboard reads them, and how a chosen modifier
reads on a ticket line, a card and the order detail."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# What the New order dialog asks of the menu for each item (the API's ModifierGroup).
MODIFIER_GROUP_FIELDS = (
    "modifierGroups { id name minChoices maxChoices modifiers { id name priceCents } }"
)
MINUS = "\N{MINUS SIGN}"


@dataclass(frozen=True, slots=True)
class Modifier:
    id: str
    name: str
    price_cents: int = 0


@dataclass(frozen=True, slots=True)
class ModifierGroup:
    """Choices of an item ("Doneness"): a line takes ``min_choices`` to ``max_choices``."""

    id: str
    name: str
    min_choices: int
    max_choices: int
    modifiers: tuple[Modifier, ...]

    @property
    def required(self) -> bool:
        return self.min_choices > 0

    @property
    def rule(self) -> str:
        """What the group asks, in words: "choose 1", "up to 3", "optional"."""
        if self.min_choices == self.max_choices:
            return f"choose {self.min_choices}"
        if self.min_choices:
            return f"choose {self.min_choices} to {self.max_choices}"
        return "optional" if self.max_choices == 1 else f"up to {self.max_choices}"

    def missing(self, chosen: Iterable[str]) -> str | None:
        """What is still to choose in this group for a line with ``chosen``; None: enough."""
        ids = {modifier.id for modifier in self.modifiers}
        count = sum(1 for modifier_id in chosen if modifier_id in ids)
        if count >= self.min_choices:
            return None
        options = ", ".join(modifier.name for modifier in self.modifiers)
        return f"choose {self.name} ({options})"

    @classmethod
    def of(cls, data: dict[str, Any]) -> ModifierGroup:
        """From the API's ``ModifierGroup`` (:data:`MODIFIER_GROUP_FIELDS`)."""
        return cls(
            id=str(data["id"]),
            name=str(data["name"]),
            min_choices=int(data["minChoices"]),
            max_choices=int(data["maxChoices"]),
            modifiers=tuple(
                Modifier(str(m["id"]), str(m["name"]), int(m["priceCents"]))
                for m in data["modifiers"]
            ),
        )


def modifier_label(name: str, price_cents: int) -> str:
    """How a chosen modifier reads under its line: "no onion" behind a minus sign is left
    off, "+ bacon" is added (it is charged for), "well done" is how to make it."""
    if name.lower().startswith(("no ", "without ")):
        return f"{MINUS} {name}"
    return f"+ {name}" if price_cents else name
