"""The menu query: the whole menu, or only the items asked for."""

from __future__ import annotations

from backend.settings import MAX_PAGE
from tests.graphql_client import GraphQLHTTP

BY_IDS = "query M($ids: [ID!]) { menu(ids: $ids) { id priceCents available } }"


async def test_the_whole_menu_by_default(public: GraphQLHTTP) -> None:
    whole = (await public.data(BY_IDS))["menu"]
    assert len(whole) > 3
    assert (await public.data(BY_IDS, {"ids": None}))["menu"] == whole


async def test_only_the_items_asked_for_in_that_order(public: GraphQLHTTP) -> None:
    whole = {item["id"]: item for item in (await public.data(BY_IDS))["menu"]}
    ids = ["tiramisu", "no-such-item", "margherita", "tiramisu"]
    found = (await public.data(BY_IDS, {"ids": ids}))["menu"]
    assert found == [whole["tiramisu"], whole["margherita"]]
    assert (await public.data(BY_IDS, {"ids": []}))["menu"] == []


async def test_too_many_ids_are_refused(public: GraphQLHTTP) -> None:
    error = await public.error(BY_IDS, {"ids": ["margherita"] * (MAX_PAGE + 1)})
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("BAD_USER_INPUT", "ids")
