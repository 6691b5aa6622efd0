"""Phone numbers: checked with the phonenumbers library, kept in E.164, read with the
restaurant's region when given without a country code."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from backend import phones
from backend.errors import BadUserInput
from tests.conftest import STAFF_TOKEN, running
from tests.graphql_client import PLACE_ORDER, order_input


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("020 7946 0000", "GB", "+442079460000"),
        ("+44 20 7946 0000", None, "+442079460000"),
        ("+1 (202) 555-0142", "GB", "+12025550142"),
        ("(202) 555-0142", "US", "+12025550142"),
    ],
)
def test_numbers_are_kept_in_e164(raw: str, region: str | None, expected: str) -> None:
    assert phones.normalise(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "region", "said"),
    [
        (
            "abc",
            "GB",
            "'abc' is not a phone number; give it with its area code, or in "
            "international form (+44 …)",
        ),
        ("020 7946 0000", None, "in international form, starting with + and the country code"),
        ("12", "US", "'12' is not a valid phone number in US"),
        ("9" * 300, "GB", "'" + "9" * 40 + "…' is not a"),
    ],
)
def test_a_bad_number_says_how_to_write_it(raw: str, region: str | None, said: str) -> None:
    with pytest.raises(BadUserInput) as refused:
        phones.normalise(raw, region)
    assert refused.value.field == "phone"
    assert said in str(refused.value)


def test_region_codes_are_checked() -> None:
    assert phones.check_region(" gb ") == "GB"
    with pytest.raises(ValueError, match="two-letter country code"):
        phones.check_region("England")


def test_the_restaurant_s_region_reads_local_numbers(tmp_path: Path) -> None:
    with running(tmp_path / "passline.db", phone_region="GB") as backend:
        headers = {"Authorization": f"Bearer {STAFF_TOKEN}"}
        placed = httpx.post(
            backend.url,
            json={
                "query": PLACE_ORDER.replace("id number status", "id number status phone"),
                "variables": {"input": order_input(phone="020 7946 0000")},
            },
            headers=headers,
        ).json()
        assert placed["data"]["placeOrder"]["order"]["phone"] == "+442079460000", placed
        region = httpx.post(backend.url, json={"query": "{ phoneRegion }"}).json()
        assert region == {"data": {"phoneRegion": "GB"}}
