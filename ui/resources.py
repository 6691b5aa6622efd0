"""Files the dashboard ships in ``resources/`` (beside the packages, or in a bundle)."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtGui import QIcon


def resource_path(name: str) -> Path:
    root = Path(getattr(sys, "_MEIPASS", Path(__file__).resolve().parent.parent))
    return root / "resources" / name


def app_icon() -> QIcon:
    return QIcon(str(resource_path("passline.svg")))
