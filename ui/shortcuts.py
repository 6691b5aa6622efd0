"""Every keyboard shortcut of the dashboard, in one table: the window builds its actions
from it and Help ▸ Keyboard shortcuts lists it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Shortcut:
    keys: str
    what: str


NEW_ORDER = Shortcut("F2", "New order (phone or counter)")
SHOW_DONE = Shortcut("Ctrl+D", "Show the Done tickets, or the open ones again")
ZOOM_IN = Shortcut("Ctrl+=", "Larger tickets (remembered)")
ZOOM_OUT = Shortcut("Ctrl+-", "Smaller tickets (remembered)")
ALL_DAY = Shortcut("F3", "All day: each item still to make across the open tickets (remembered)")
RECALL = Shortcut("Ctrl+Z", "Recall: the last 20 tickets bumped, each back a step")
REFRESH = Shortcut("F5", "Reload the board from the backend")
TOGGLE_THEME = Shortcut("Ctrl+T", "Switch between the light and dark theme")
SHOW_SHORTCUTS = Shortcut("F1", "This list of shortcuts")
QUIT = Shortcut("Ctrl+Q", "Quit")
TAB_KEYS = tuple(
    Shortcut(f"Alt+{n}", f"Go to tab {n} (Orders, Event log, …)") for n in (1, 2, 3, 4)
)

BOARD = (
    Shortcut("Arrows", "Move between tickets (Up/Down in order, Left/Right across)"),
    Shortcut("PgDn / PgUp", 'The next or previous page of tickets ("+N more")'),
    Shortcut("1 … 9", "Pick the ticket wearing that number on the page"),
    Shortcut(
        "Shift+1 … 9",
        "Strike line 1-9 of the selected ticket through as made, or back (or click the line)",
    ),
    Shortcut(
        "Space",
        "Bump the selected ticket: ready, or complete once ready; on a station's screen "
        "(View ▸ Station), strike the station's lines (Undo for 5 s)",
    ),
    Shortcut("R", "Mark the selected order ready (Undo for 5 s)"),
    Shortcut("C", "Complete the selected order"),
    Shortcut("Del", "Cancel the selected order (asks why)"),
    Shortcut("Enter", "Open the order's details (or double-click)"),
)
NEW_ORDER_DIALOG = (
    Shortcut("Ctrl+F", "Search the menu"),
    Shortcut("Enter or +", "Add the highlighted item"),
    Shortcut("-", "Take one off"),
    Shortcut("Del", "Remove the ticket line"),
    Shortcut("Ctrl+Enter", "Place the order"),
    Shortcut("Esc", "Close without placing"),
)

WINDOW = (
    NEW_ORDER,
    RECALL,
    SHOW_DONE,
    ALL_DAY,
    ZOOM_IN,
    ZOOM_OUT,
    REFRESH,
    TOGGLE_THEME,
    SHOW_SHORTCUTS,
    QUIT,
)
SECTIONS: tuple[tuple[str, tuple[Shortcut, ...]], ...] = (
    ("Window", (*WINDOW, *TAB_KEYS[:1])),
    ("Orders board", BOARD),
    ("New order", NEW_ORDER_DIALOG),
)


def as_html() -> str:
    """The table for the Help dialog."""
    rows = []
    for title, shortcuts in SECTIONS:
        rows.append(f"<tr><td colspan=2><h3>{title}</h3></td></tr>")
        rows.extend(
            f"<tr><td style='padding-right:24px'><b>{s.keys}</b></td><td>{s.what}</td></tr>"
            for s in shortcuts
        )
    return "<table>" + "".join(rows) + "</table>"
