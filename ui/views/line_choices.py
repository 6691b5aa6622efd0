"""The chooser of one ticket line's modifiers and allergies, opened from the New order
dialog when an item with modifier groups is added, or on a ticket line (double-click, F4).

A view: it shows the line's groups and the 14 allergens, and emits ``chosen(modifier ids,
allergen names)`` when staff confirm. A required group left open is said in red but not
forced here: a phone customer may decide on the doneness later, and the New order dialog
refuses to send the order until it is chosen.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QGroupBox,
    QLabel,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ui.models.cart import ALLERGENS, CartLine, money
from ui.models.modifiers import ModifierGroup

ALLERGEN_COLUMNS = 3


class LineChoicesDialog(QDialog):
    """Emits ``chosen(list of modifier ids, list of allergen names)`` on OK."""

    chosen = Signal(list, list)

    def __init__(self, line: CartLine, confirm: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lineChoices")
        self.setWindowTitle(f"{line.name}: choices")
        self.line = line
        self.boxes: dict[str, QAbstractButton] = {}  # modifier id -> its box or radio
        self.group_boxes: dict[str, tuple[ModifierGroup, list[QAbstractButton]]] = {}
        self.missing: dict[str, QLabel] = {}  # group id -> its "still to choose" label
        layout = QVBoxLayout(self)
        title = QLabel(f"{line.name}  ·  {money(line.price_cents)}")
        title.setObjectName("sectionTitle")
        layout.addWidget(title)
        for group in line.groups:
            layout.addWidget(self._group(group, set(line.modifiers)))
        layout.addWidget(self._allergies(set(line.allergens)))
        self.price = QLabel()
        self.price.setObjectName("orderTotal")
        layout.addWidget(self.price)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.confirm = buttons.addButton(confirm, QDialogButtonBox.ButtonRole.AcceptRole)
        self.confirm.setDefault(True)
        buttons.accepted.connect(self._confirmed)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._changed()

    def _group(self, group: ModifierGroup, chosen: set[str]) -> QGroupBox:
        box = QGroupBox(f"{group.name}  ({group.rule})")
        grid = QGridLayout(box)
        boxes: list[QAbstractButton] = []
        # "Choose 1" is one of a few, as radio buttons say; the others are ticked boxes.
        single = group.min_choices == group.max_choices == 1
        radios = QButtonGroup(box) if single else None
        for position, modifier in enumerate(group.modifiers):
            text = modifier.name
            if modifier.price_cents:
                text += f"   +{money(modifier.price_cents)}"
            check: QAbstractButton = QRadioButton(text) if single else QCheckBox(text)
            if radios is not None:
                radios.addButton(check)
            check.setChecked(modifier.id in chosen)
            check.toggled.connect(lambda on, g=group, c=check: self._toggled(g, c, on))
            self.boxes[modifier.id] = check
            boxes.append(check)
            grid.addWidget(check, position // 2, position % 2)
        missing = QLabel()
        missing.setObjectName("fieldError")
        missing.setWordWrap(True)
        grid.addWidget(missing, (len(group.modifiers) + 1) // 2, 0, 1, 2)
        self.missing[group.id] = missing
        self.group_boxes[group.id] = (group, boxes)
        return box

    def _allergies(self, named: set[str]) -> QGroupBox:
        box = QGroupBox("Allergies for this line")
        grid = QGridLayout(box)
        self.allergy_boxes: dict[str, QCheckBox] = {}
        for position, name in enumerate(ALLERGENS):
            check = QCheckBox(name.replace("_", " ").capitalize())
            check.setChecked(name in named)
            check.toggled.connect(self._changed)
            self.allergy_boxes[name] = check
            grid.addWidget(check, position // ALLERGEN_COLUMNS, position % ALLERGEN_COLUMNS)
        return box

    # -- what is chosen ------------------------------------------------------------------

    def modifier_ids(self) -> list[str]:
        return [modifier_id for modifier_id, box in self.boxes.items() if box.isChecked()]

    def allergens(self) -> list[str]:
        return [name for name, box in self.allergy_boxes.items() if box.isChecked()]

    def choose(self, *modifier_ids: str) -> None:
        """Tick these modifiers (as a click on each would)."""
        for modifier_id in modifier_ids:
            self.boxes[modifier_id].setChecked(True)

    # -- reactions -----------------------------------------------------------------------

    def _toggled(self, group: ModifierGroup, box: QAbstractButton, on: bool) -> None:
        if on and isinstance(box, QCheckBox):
            # Past the group's maximum, the longest-ticked other box makes way: a single
            # choice behaves as radio buttons that can still all be cleared.
            ticked = [b for b in self.group_boxes[group.id][1] if b.isChecked() and b is not box]
            for other in ticked[: max(0, len(ticked) + 1 - group.max_choices)]:
                other.setChecked(False)
        self._changed()

    def _changed(self) -> None:
        line = self.line.with_choices(self.modifier_ids(), self.allergens())
        for group_id, (group, _) in self.group_boxes.items():
            missing = group.missing(line.modifiers)
            label = self.missing[group_id]
            label.setText(
                f"Required: {missing}; the order cannot be sent without it" if missing else ""
            )
            label.setVisible(missing is not None)
        self.price.setText(f"Each {money(line.unit_cents)}")

    def _confirmed(self) -> None:
        self.chosen.emit(self.modifier_ids(), self.allergens())
        self.accept()
