"""Which handler listens to which event types, and with what delivery policy.

The outbox asks the registry to fan an event out into one delivery row per
subscribed handler, inside the transaction that writes the event; the runner asks
it for each handler's function and policy. Which handlers those are is not the
backend's choice: the composition root (``main.py`` with ``handlers/pipeline.py``)
builds the registry and hands it in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from handlers.sdk import HandlerDefinition


class Registry:
    """The handlers known to this backend, by name."""

    def __init__(self, definitions: Iterable[HandlerDefinition]) -> None:
        self._definitions: dict[str, HandlerDefinition] = {}
        for definition in definitions:
            if definition.name in self._definitions:
                raise ValueError(f"handler {definition.name!r} is registered twice")
            self._definitions[definition.name] = definition
        subscribers: dict[str, list[str]] = {}
        for definition in self._definitions.values():
            for event_type in definition.events:
                subscribers.setdefault(event_type, []).append(definition.name)
        self.subscribers: dict[str, tuple[str, ...]] = {
            event_type: tuple(names) for event_type, names in subscribers.items()
        }

    def __iter__(self) -> Iterator[HandlerDefinition]:
        return iter(self._definitions.values())

    def __contains__(self, name: object) -> bool:
        return name in self._definitions

    def __len__(self) -> int:
        return len(self._definitions)

    def get(self, name: str) -> HandlerDefinition | None:
        return self._definitions.get(name)

    def with_extra(self, definitions: Iterable[HandlerDefinition]) -> Registry:
        """This registry plus more handlers (webhooks from a configuration file)."""
        return Registry([*self, *definitions])
