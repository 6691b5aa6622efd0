"""Wires the menu panel: the menu, its live changes from the log, availability, stock and
prep times."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject

from ui.client import GraphQLClient, GraphQLError
from ui.controllers._panel import LogFollower
from ui.models.menu import MenuItemRow, MenuModel, prep_time
from ui.views.menu import MenuView

ITEM_FIELDS = "id name category priceCents available stock prepSeconds station"
MENU = f"query Menu {{ menu {{ {ITEM_FIELDS} }} }}"
# menu_item_changed events carry the item's new state: {"menuItem": {...}}.
MENU_CHANGES = """
subscription MenuChanges($after: String) {
  eventLog(after: $after, types: ["menu_item_changed"]) { cursor event { seq type payload } }
}
"""
SET_AVAILABLE = f"""
mutation SetAvailable($id: ID!, $available: Boolean!) {{
  setMenuItemAvailable(menuItemId: $id, available: $available) {{ {ITEM_FIELDS} }}
}}
"""
SET_STOCK = f"""
mutation SetStock($id: ID!, $stock: Int) {{
  setMenuItemStock(menuItemId: $id, stock: $stock) {{ {ITEM_FIELDS} }}
}}
"""
SET_PREP = f"""
mutation SetPrep($id: ID!, $seconds: Int!) {{
  setMenuItemPrepTime(menuItemId: $id, prepSeconds: $seconds) {{ {ITEM_FIELDS} }}
}}
"""
SET_STATION = f"""
mutation SetStation($category: String!, $station: Station) {{
  setCategoryStation(category: $category, station: $station) {{ {ITEM_FIELDS} }}
}}
"""
MENU_ITEM_CHANGED = "menu_item_changed"


def menu_item(data: dict[str, Any]) -> MenuItemRow:
    return MenuItemRow(
        id=data["id"],
        name=data["name"],
        category=data["category"],
        price_cents=data["priceCents"],
        available=data["available"],
        stock=data.get("stock"),
        prep_seconds=int(data.get("prepSeconds") or 0),
        station=data.get("station"),
    )


class MenuController(LogFollower):
    """Owns the menu model; changes arrive as ``menu_item_changed`` events in the log."""

    subscription = MENU_CHANGES
    what = "the menu"

    def __init__(self, client: GraphQLClient, parent: QObject | None = None) -> None:
        self.model = MenuModel()
        self.view = MenuView(self.model)
        super().__init__(client, self.view.status, parent)
        self.model.setParent(self)
        # Changes that arrive while the menu is being read, applied after it in order.
        self.backlog: list[MenuItemRow] | None = []
        self.view.availabilityRequested.connect(
            lambda item_id, available: self.tasks.spawn(self.set_available(item_id, available))
        )
        self.view.stockRequested.connect(
            lambda item_id, stock: self.tasks.spawn(self.set_stock(item_id, stock))
        )
        self.view.prepRequested.connect(
            lambda item_id, seconds: self.tasks.spawn(self.set_prep(item_id, seconds))
        )
        self.view.stationRequested.connect(
            lambda category, station: self.tasks.spawn(self.set_station(category, station))
        )

    async def read(self) -> None:
        data = await self.client.execute(MENU)
        self.status.show_message("")
        self.model.sync([menu_item(item) for item in data["menu"]])
        backlog, self.backlog = self.backlog, None
        for item in backlog or ():
            self.model.upsert(item)

    def on_entry(self, entry: dict[str, Any]) -> None:
        event = entry["event"]
        if event["type"] != MENU_ITEM_CHANGED:
            return
        item = menu_item(event["payload"]["menuItem"])
        if self.backlog is not None:
            self.backlog.append(item)
        else:
            self.model.upsert(item)

    async def set_available(self, item_id: str, available: bool) -> None:
        data = await self.client.execute(SET_AVAILABLE, {"id": item_id, "available": available})
        item = menu_item(data["setMenuItemAvailable"])
        self.model.upsert(item)
        state = "available again" if item.available else "sold out"
        self.status.show_message(f"{item.name} is {state}")

    async def set_stock(self, item_id: str, stock: int | None) -> None:
        data = await self.client.execute(SET_STOCK, {"id": item_id, "stock": stock})
        item = menu_item(data["setMenuItemStock"])
        self.model.upsert(item)
        left = "not counted" if item.stock is None else f"{item.stock} left"
        self.status.show_message(f"{item.name}: {left}")

    async def set_prep(self, item_id: str, seconds: int) -> None:
        try:
            data = await self.client.execute(SET_PREP, {"id": item_id, "seconds": seconds})
        except GraphQLError as exc:
            item = self.model.get(item_id)
            name = item.name if item is not None else "the item"
            self.show_error(f"Cannot set the prep time of {name}: {exc.message}")
            return
        item = menu_item(data["setMenuItemPrepTime"])
        self.model.upsert(item)
        self.status.show_message(f"{item.name}: {prep_time(item.prep_seconds)} to make")

    async def set_station(self, category: str, station: str | None) -> None:
        """Make ``category`` at ``station`` (an API Station; None: at no station)."""
        try:
            data = await self.client.execute(
                SET_STATION, {"category": category, "station": station}
            )
        except GraphQLError as exc:
            self.status.show_message(f"Cannot move {category}: {exc.message}", error=True)
            return
        for row in data["setCategoryStation"]:
            self.model.upsert(menu_item(row))
        where = "no station" if station is None else f"the {station.capitalize()} station"
        self.status.show_message(
            f"{category} is made at {where}; orders placed from now on go there"
        )
