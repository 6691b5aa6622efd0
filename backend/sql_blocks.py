"""The named SQL blocks of ``sql/*.sql`` and the numbered migrations, loaded once."""

from __future__ import annotations

import re
from importlib import resources

_NAME = re.compile(r"^--\s*name:\s*(\w+)\s*$", re.MULTILINE)


def parse_blocks(text: str) -> dict[str, str]:
    """Split a file of ``-- name: x`` blocks into ``{"x": "SELECT ..."}``."""
    parts = _NAME.split(text)
    blocks: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        if name in blocks:
            raise ValueError(f"query {name!r} is defined twice")
        blocks[name] = body.strip()
    return blocks


class Queries:
    """Attribute access to the named queries: ``SQL.insert_order``."""

    def __init__(self, blocks: dict[str, str]) -> None:
        self._blocks = blocks

    def __getattr__(self, name: str) -> str:
        try:
            return self._blocks[name]
        except KeyError:
            raise AttributeError(f"no query named {name!r} in backend/sql/*.sql") from None


def _sql_dir() -> resources.abc.Traversable:
    return resources.files("backend") / "sql"


def migrations() -> list[tuple[int, str]]:
    """The migration scripts as ``(version, script)``, in order; versions count from 1."""
    found = []
    for entry in (_sql_dir() / "migrations").iterdir():
        match = re.fullmatch(r"(\d{4})_\w+\.sql", entry.name)
        if match:
            found.append((int(match.group(1)), entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [version for version, _ in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migrations must be numbered 1..n without gaps, found {versions}")
    return found


def _load_all() -> Queries:
    """Every ``backend/sql/*.sql`` file's blocks; a name must be unique across files."""
    blocks: dict[str, str] = {}
    for entry in sorted(_sql_dir().iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".sql"):
            for name, body in parse_blocks(entry.read_text(encoding="utf-8")).items():
                if name in blocks:
                    raise ValueError(f"query {name!r} is defined twice ({entry.name})")
                blocks[name] = body
    return Queries(blocks)


SQL = _load_all()
