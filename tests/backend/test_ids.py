from __future__ import annotations

import uuid

from backend.ids import uuid7


def test_uuid7_is_a_version_7_rfc_uuid_that_grows_with_time() -> None:
    ids = [uuid7() for _ in range(2000)]
    parsed = [uuid.UUID(value) for value in ids]
    assert all(u.version == 7 and u.variant == uuid.RFC_4122 for u in parsed)
    assert len(set(ids)) == len(ids)
    millis = [u.int >> 80 for u in parsed]
    assert millis == sorted(millis)
