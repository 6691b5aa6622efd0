"""The documents bench.rush's clients send, read from where the real clients keep them.

A dashboard's subscriptions are the ones ``ui/main_window.py`` starts, imported from its
controllers (they import Qt, which is why this runs in the bench's main process only
and the strings travel to the client processes); the customer status page's and the
pickup screen's are read out of their JavaScript. A change to any of them changes the
bench with it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from bench._rush_plan import Documents

WEB_JS = Path(__file__).resolve().parent.parent / "resources" / "web" / "js"
_CONSTANT = re.compile(r"^const (\w+) = `([^`]*)`;", re.MULTILINE)
_SUBSTITUTION = re.compile(r"\$\{(\w+)\}")


def js_constants(path: Path) -> dict[str, str]:
    """The template-literal constants of a script, their ``${NAME}`` filled in from
    the constants before them."""
    found: dict[str, str] = {}
    for name, text in _CONSTANT.findall(path.read_text(encoding="utf-8")):
        found[name] = _SUBSTITUTION.sub(lambda match: found[match.group(1)], text)
    return found


def load() -> Documents:
    from ui.controllers import backlog, board, event_log, handlers, menu
    from ui.models.stages import Action

    # What a dashboard window subscribes to once it is open (MainWindow.start): the
    # board, the status bar's backlog, and the event log, handlers and menu panels,
    # each with the variables it sends on its first connection.
    dashboard: tuple[tuple[str, str, dict[str, Any]], ...] = (
        ("board", board.ORDER_CHANGES, {}),  # afterSeq: the cursor, set at connect
        ("backlog", backlog.HANDLER_STATS, {}),
        ("event log", event_log.EVENT_LOG, {"after": None}),
        ("handlers", handlers.HANDLER_STATS, {}),
        ("handlers activity", handlers.LOG_ACTIVITY, {"after": None}),
        ("menu", menu.MENU_CHANGES, {"after": None}),
    )
    mutations = {
        "markReady": board.MUTATIONS[Action.MARK_READY],
        "completeOrder": board.MUTATIONS[Action.COMPLETE],
        "takeCash": board.MUTATIONS[Action.TAKE_CASH],
        "retryPayment": board.MUTATIONS[Action.RETRY_PAYMENT],
        "cancelOrder": board.MUTATIONS[Action.CANCEL],
    }
    return Documents(
        dashboard=dashboard,
        last_seq=board.LAST_SEQ,
        mutations=mutations,
        place_order=js_constants(WEB_JS / "order.js")["PLACE"],
        status_page=js_constants(WEB_JS / "status.js")["LIVE"],
        pickup=js_constants(WEB_JS / "pickup.js")["BOARD"],
    )
