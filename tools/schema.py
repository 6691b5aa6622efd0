"""Print the API's schema into ``docs/schema.graphql``: ``python -m tools.schema [--check]``.

The checked-in file is what an outside client codes against, so it is printed from
the code (the schema outside clients get, with its limits), never written by hand;
``tests/test_contract.py`` fails when the two differ. With ``--check`` nothing is
written: the exit status is 1 when the file is out of date.
"""

from __future__ import annotations

import sys
from pathlib import Path

from backend.api.schema import build_schema

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "docs" / "schema.graphql"
REGENERATE = "python -m tools.schema (or: make schema)"
HEADER = (
    "# The Passline GraphQL API, printed from the code by `python -m tools.schema`.\n"
    "# Do not edit: change the code and print it again. The rest of the contract\n"
    "# (auth, error codes, event payloads, delivery states) is in docs/api.md.\n\n"
)


def printed() -> str:
    """The SDL of the schema outside clients get, as the file holds it."""
    return HEADER + build_schema().as_str().rstrip("\n") + "\n"


def main(argv: list[str]) -> int:
    text = printed()
    if "--check" in argv:
        current = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.exists() else ""
        if current != text:
            print(f"{SCHEMA_FILE} is out of date; run {REGENERATE}", file=sys.stderr)
            return 1
        return 0
    SCHEMA_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
