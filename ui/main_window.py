"""The dashboard's window: the board and the panels in tabs, menus, the status bar.

The one place that wires views' intents and controllers to the client, and that
remembers the window between runs (QSettings).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any, Protocol

from PySide6.QtCore import QByteArray, QObject, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QInputDialog,
    QLabel,
    QMainWindow,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui import shortcuts
from ui.client import GraphQLClient, GraphQLError
from ui.controllers.backlog import BacklogController
from ui.controllers.backup import BackupController, BackupView
from ui.controllers.board import BoardController
from ui.controllers.event_log import EventLogController
from ui.controllers.handlers import HandlersController
from ui.controllers.menu import MenuController
from ui.controllers.new_order import NewOrderController
from ui.controllers.order_detail import OrderDetailController
from ui.customer_page import lan_address
from ui.models.lateness import DEFAULT_GRACE_SECONDS, MAX_GRACE_MINUTES
from ui.models.menu import MenuModel
from ui.models.stations import NAMES, Station, name_of, station_named
from ui.resources import app_icon
from ui.sound import Chime
from ui.tasks import spawn
from ui.theme import DEFAULT_THEME, THEMES, apply_theme
from ui.views.customer_page import CustomerPageDialog
from ui.views.new_order import DEFAULT_CONFIRM_ABOVE_CENTS
from ui.views.paused_banner import PausedBanner
from ui.views.status_bar import StatusBar
from ui.views.thresholds_dialog import ThresholdsDialog

DEFAULT_SIZE = (1400, 900)


class Panel(Protocol):
    """What the window needs of a panel's controller (a ``stop()``, if it has one, is
    called when the window closes: unsubscribe, cancel what is in flight)."""

    @property
    def view(self) -> QWidget: ...

    async def start(self) -> None: ...


# The other panels, built by their own controllers: (tab title, controller).
PANELS: tuple[tuple[str, Callable[[GraphQLClient, QObject], Panel]], ...] = (
    ("Event log", EventLogController),
    ("Handlers", HandlersController),
    ("Menu", MenuController),
)


class MainWindow(QMainWindow):
    """``start()`` loads every view; ``closed`` is emitted once the window has closed."""

    closed = Signal()

    def __init__(
        self,
        client: GraphQLClient,
        backend_label: str,
        settings: QSettings | None = None,
        chime: Chime | None = None,
        station: str | None = None,
    ) -> None:
        """``station``: the command line's ``--station`` name (None: the one last chosen
        from View ▸ Station, else the expo view)."""
        super().__init__()
        self.setWindowTitle("Passline")
        self.setWindowIcon(app_icon())
        self.client = client
        self.settings = settings if settings is not None else QSettings()
        self.chime = chime if chime is not None else Chime(self)
        self.board = BoardController(client, self)
        self.backlog = BacklogController(client, self)
        self.backup = BackupController(client, self)
        self.panels: dict[str, Panel] = {}
        self.new_order: NewOrderController | None = None
        self.details: dict[str, OrderDetailController] = {}
        self.theme = DEFAULT_THEME
        self.confirm_above_cents = DEFAULT_CONFIRM_ABOVE_CENTS  # 0: never ask
        # How long after its target a late ticket turns red (View ▸ Late tickets…).
        self.grace_minutes = int(DEFAULT_GRACE_SECONDS // 60)
        self._station_arg = None if station is None else station_named(station)
        self._station_given = station is not None

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.paused_banner = PausedBanner()
        orders = QWidget()
        orders_box = QVBoxLayout(orders)
        orders_box.setContentsMargins(0, 0, 0, 0)
        orders_box.setSpacing(0)
        orders_box.addWidget(self.paused_banner)
        orders_box.addWidget(self.board.view, 1)
        self.tabs.addTab(orders, "Orders")
        for title, build in PANELS:
            panel = build(client, self)
            self.panels[title] = panel
            self.tabs.addTab(panel.view, title)
        self.setCentralWidget(self.tabs)
        self.status = StatusBar()
        self.setStatusBar(self.status)
        self.status.set_backend(backend_label)
        self.status.set_connection(client.state)
        self._menus()
        self._wire()
        self._restore()

    # -- building -------------------------------------------------------------------------------

    def _action(self, text: str, shortcut: shortcuts.Shortcut | None, slot: Any) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut.keys))
            action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    def _menus(self) -> None:
        bar = self.menuBar()
        orders = bar.addMenu("&Orders")
        self.new_order_action = self._action(
            "&New order…", shortcuts.NEW_ORDER, self.open_new_order
        )
        orders.addAction(self.new_order_action)
        orders.addAction(self._action("&Reload board", shortcuts.REFRESH, self._reload))
        orders.addAction(self._action("Re&call a ticket…", shortcuts.RECALL, self.board.ask_recall))
        orders.addAction(self._action("&Confirm orders over…", None, self.ask_confirm_amount))
        orders.addAction(self._action("C&ustomer page…", None, self.open_customer_page))
        orders.addSeparator()
        orders.addAction(self._action("&Quit", shortcuts.QUIT, self.close))

        view = bar.addMenu("&View")
        self.show_done_action = self._action("Show &Done tickets", shortcuts.SHOW_DONE, self._done)
        self.show_done_action.setCheckable(True)
        view.addAction(self.show_done_action)
        self.all_day_action = self._action("&All-day counts", shortcuts.ALL_DAY, self._all_day)
        self.all_day_action.setCheckable(True)
        view.addAction(self.all_day_action)
        view.addAction(self._action("&Larger tickets", shortcuts.ZOOM_IN, self.zoom_in))
        view.addAction(self._action("&Smaller tickets", shortcuts.ZOOM_OUT, self.zoom_out))
        view.addAction(self._action("&Dark theme", shortcuts.TOGGLE_THEME, self.toggle_theme))
        view.addAction(self._action("Late &tickets…", None, self.ask_grace))
        view.addAction(self._action("Low stoc&k level…", None, self.ask_low_stock))
        self.sound_action = self._action("&Sound on new orders", None, self._sound)
        self.sound_action.setCheckable(True)
        self.sound_action.setChecked(True)
        view.addAction(self.sound_action)
        self.ready_when_done_action = self._action(
            "&Ready when every line is done", None, self._ready_when_done
        )
        self.ready_when_done_action.setCheckable(True)
        view.addAction(self.ready_when_done_action)
        self._station_menu(view)
        view.addSeparator()
        for number in range(1, self.tabs.count() + 1):
            tab = self._action(
                self.tabs.tabText(number - 1),
                shortcuts.Shortcut(f"Alt+{number}", ""),
                lambda _=False, index=number - 1: self.tabs.setCurrentIndex(index),
            )
            view.addAction(tab)

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(
            self._action("&Keyboard shortcuts", shortcuts.SHOW_SHORTCUTS, self.show_shortcuts)
        )

    def _station_menu(self, view: Any) -> None:
        """View ▸ Station: the expo's whole tickets, or one station's lines."""
        menu = view.addMenu("S&tation")
        group = QActionGroup(self)
        group.setExclusive(True)
        self.station_actions: dict[Station | None, QAction] = {}
        for name, station in NAMES.items():
            text = "&Expo (whole tickets)" if station is None else f"&{station.label}"
            action = self._action(
                text, None, lambda _=False, chosen=station: self.choose_station(chosen)
            )
            action.setCheckable(True)
            action.setObjectName(f"station-{name}")
            group.addAction(action)
            menu.addAction(action)
            self.station_actions[station] = action

    def choose_station(self, station: Station | None) -> None:
        """View ▸ Station: show ``station``'s lines (None: the expo view) and remember it
        for the next start."""
        self.set_station(station)
        self.settings.setValue("board/station", name_of(station))

    def set_station(self, station: Station | None) -> None:
        self.station_actions[station].setChecked(True)
        self.board.view.set_station(station)

    def _wire(self) -> None:
        self.client.connectionChanged.connect(self._connection)
        self._cursor_busy = False
        self._closing = False
        self.client.busyChanged.connect(self._busy)
        self.board.errorOccurred.connect(self.status.show_error)
        self.board.orderArrived.connect(self._order_arrived)
        self.board.view.detailRequested.connect(self.open_detail)
        self.backlog.changed.connect(self.status.set_backlog)
        self.backlog.pausedChanged.connect(self.paused_banner.set_paused)
        self.paused_banner.resumeRequested.connect(lambda name: spawn(self._resume(name)))
        self.backup.changed.connect(self._backup)
        self.board.loaded.connect(_settle_heap)

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Load and follow every view; each on its own, so one slow panel delays no other."""
        spawn(self.backlog.start())
        spawn(self.backup.start())
        for panel in self.panels.values():
            spawn(panel.start())
        await self.board.start()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._save()
        self._busy(False)
        self._closing = True  # a request still out as it goes shows no busy cursor
        self.board.stop()
        self.backlog.stop()
        self.backup.stop()
        for panel in self.panels.values():
            stop = getattr(panel, "stop", None)  # optional in the panel contract
            if callable(stop):
                stop()
        for dialog in [*self.details.values()]:
            dialog.view.close()
        event.accept()
        self.closed.emit()

    def _restore(self) -> None:
        s = self.settings
        geometry = s.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            screen = self.screen().availableGeometry()
            self.resize(
                min(DEFAULT_SIZE[0], int(screen.width() * 0.95)),
                min(DEFAULT_SIZE[1], int(screen.height() * 0.9)),
            )
        state = s.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        self.tabs.setCurrentIndex(_int(s.value("window/tab"), 0))
        self.set_theme(str(s.value("view/theme", DEFAULT_THEME)))
        done = str(s.value("board/showDone", "false")).lower() == "true"
        self.show_done_action.setChecked(done)
        self.board.view.set_done_visible(done)
        self.board.view.set_zoom(_float(s.value("board/zoom"), self.board.view.zoom))
        self.set_grace(_int(s.value("board/graceMinutes"), self.grace_minutes))
        self.confirm_above_cents = _int(
            s.value("orders/confirmAboveCents"), self.confirm_above_cents
        )
        self.menu_model.set_low_stock(_int(s.value("menu/lowStock"), self.menu_model.low_stock))
        sound = str(s.value("alerts/sound", "true")).lower() == "true"
        self.sound_action.setChecked(sound)
        self.chime.enabled = sound
        all_day = str(s.value("board/allDay", "false")).lower() == "true"
        self.all_day_action.setChecked(all_day)
        self.board.view.all_day.setVisible(all_day)
        ready = str(s.value("board/readyWhenDone", "false")).lower() == "true"
        self.ready_when_done_action.setChecked(ready)
        self.board.ready_when_done = ready
        # --station wins over the station last chosen from the menu (and is not saved).
        station = self._station_arg
        if not self._station_given:
            try:
                station = station_named(str(s.value("board/station", "expo")))
            except ValueError:
                station = None  # a settings file of another version: the expo view
        self.set_station(station)

    def _save(self) -> None:
        s = self.settings
        s.setValue("window/geometry", self.saveGeometry())
        s.setValue("window/state", self.saveState())
        s.setValue("window/tab", self.tabs.currentIndex())
        s.setValue("view/theme", self.theme)
        s.setValue("board/showDone", self.board.view.done_visible)
        s.setValue("board/graceMinutes", self.grace_minutes)
        s.setValue("board/zoom", self.board.view.zoom)
        s.setValue("orders/confirmAboveCents", self.confirm_above_cents)
        s.setValue("menu/lowStock", self.menu_model.low_stock)
        s.setValue("alerts/sound", self.chime.enabled)
        s.setValue("board/readyWhenDone", self.board.ready_when_done)
        s.setValue("board/allDay", self.all_day_action.isChecked())
        s.sync()

    # -- commands -------------------------------------------------------------------------------

    def open_customer_page(self) -> CustomerPageDialog:
        """The order page's address and QR code (per table on request)."""
        dialog = CustomerPageDialog(self.client.url, lan_address(), self)
        dialog.saved.connect(lambda path: self.status.showMessage(f"Saved {path}", 5000))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def open_new_order(self) -> NewOrderController:
        """F2: the New order dialog (one at a time)."""
        if self.new_order is not None and self.new_order.view.isVisible():
            self.new_order.view.raise_()
            self.new_order.view.activateWindow()
            return self.new_order
        controller = NewOrderController(self.client, self)
        controller.view.confirm_above_cents = self.confirm_above_cents or None
        controller.placed.connect(self._placed)
        controller.view.finished.connect(lambda _: setattr(self, "new_order", None))
        self.new_order = controller
        controller.open()
        return controller

    def open_detail(self, order_id: str) -> OrderDetailController:
        if order_id in self.details:
            self.details[order_id].view.raise_()
            return self.details[order_id]
        controller = OrderDetailController(self.client, order_id, self)
        controller.view.actionRequested.connect(self.board.act)
        controller.view.reprintRequested.connect(lambda found: spawn(self.board.reprint(found)))
        controller.view.finished.connect(lambda _: self.details.pop(order_id, None))
        self.details[order_id] = controller
        controller.open()
        return controller

    def set_theme(self, name: str) -> None:
        app = QApplication.instance()
        if isinstance(app, QApplication):
            self.theme = apply_theme(app, name)

    def toggle_theme(self) -> None:
        self.set_theme(THEMES[(THEMES.index(self.theme) + 1) % len(THEMES)])

    def ask_confirm_amount(self) -> QInputDialog:
        """Orders ▸ Confirm orders over…: the total above which New order asks once."""
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Confirm big orders")
        dialog.setLabelText("Ask before placing an order over this total (0: never ask):")
        dialog.setInputMode(QInputDialog.InputMode.DoubleInput)
        dialog.setDoubleRange(0, 100_000)
        dialog.setDoubleDecimals(2)
        dialog.setDoubleValue(self.confirm_above_cents / 100)
        dialog.doubleValueSelected.connect(
            lambda value: setattr(self, "confirm_above_cents", round(value * 100))
        )
        dialog.open()
        return dialog

    @property
    def menu_model(self) -> MenuModel:
        panel = self.panels["Menu"]
        assert isinstance(panel, MenuController)
        return panel.model

    def ask_low_stock(self) -> QInputDialog:
        """View ▸ Low stock level…: at or below how many left an item's stock shows amber."""
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Low stock")
        dialog.setLabelText("Show an item's stock amber at or below this many left:")
        dialog.setInputMode(QInputDialog.InputMode.IntInput)
        dialog.setIntRange(0, 99_999)
        dialog.setIntValue(self.menu_model.low_stock)
        dialog.intValueSelected.connect(self.menu_model.set_low_stock)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def set_grace(self, minutes: int) -> None:
        """Late tickets turn red ``minutes`` after their target (amber at it)."""
        self.grace_minutes = max(0, min(MAX_GRACE_MINUTES, minutes))
        self.board.view.set_grace(self.grace_minutes * 60.0)

    def show_shortcuts(self) -> QDialog:
        dialog = QDialog(self)
        dialog.setWindowTitle("Keyboard shortcuts")
        label = QLabel(shortcuts.as_html())
        label.setTextFormat(Qt.TextFormat.RichText)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(label)
        layout.addWidget(buttons)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def ask_grace(self) -> ThresholdsDialog:
        """View ▸ Late tickets…: the grace after a ticket's target before it turns red."""
        dialog = ThresholdsDialog(self.grace_minutes, self)
        dialog.chosen.connect(self.set_grace)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def _all_day(self, checked: bool) -> None:
        self.board.view.all_day.setVisible(checked)

    def _ready_when_done(self, checked: bool) -> None:
        self.board.ready_when_done = checked

    def zoom_in(self) -> None:
        """Ctrl+=: larger tickets (fewer on a page)."""
        self.board.view.zoom_by(1)

    def zoom_out(self) -> None:
        """Ctrl+-: smaller tickets (more on a page)."""
        self.board.view.zoom_by(-1)

    def _done(self, checked: bool) -> None:
        self.board.view.set_done_visible(checked)

    def _sound(self, checked: bool) -> None:
        self.chime.enabled = checked

    def _reload(self) -> None:
        spawn(self.board.reload())

    # -- reactions ------------------------------------------------------------------------------

    def _connection(self, state: str) -> None:
        self.status.set_connection(state, self.client.last_error)

    async def _resume(self, name: str) -> None:
        try:
            await self.backlog.resume(name)
        except GraphQLError as error:
            self.status.show_error(f"Cannot resume {name}: {error.message}")

    def _busy(self, busy: bool) -> None:
        # An action waits on a slow backend: say so, rather than look like it was ignored.
        # The override cursor is the application's: set once, and given back by this window
        # (here or on close), never left behind for the next window.
        busy = busy and not self._closing
        if busy and not self._cursor_busy:
            QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
        elif not busy and self._cursor_busy:
            QApplication.restoreOverrideCursor()
        self._cursor_busy = busy
        self.status.set_waiting(busy)

    def _backup(self, view: BackupView) -> None:
        self.status.set_backup(view.text, view.tooltip, view.stale)

    def _order_arrived(self, order_id: str) -> None:
        self.chime.play()
        QApplication.alert(self)

    def _placed(self, order_id: str, number: int) -> None:
        self.status.showMessage(f"Order #{number} placed", 5000)
        self.tabs.setCurrentIndex(0)  # the orders board
        if not self.board.view.select(order_id):
            # Not on the board yet: select it when the feed brings it.
            self.board.select_when_seen(order_id)


def _settle_heap() -> None:
    """Once the board is listed, what is on the heap (code, the orders, the backend's
    caches when embedded) is there to stay: move it out of the garbage collector's
    sight, so that its full collections (which stop every thread, the backend's too)
    stay short with 10,000 orders on the board."""
    gc.freeze()


def _int(value: object, default: int) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default


def _float(value: object, default: float) -> float:
    try:
        return float(str(value))
    except (TypeError, ValueError):
        return default
