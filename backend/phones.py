"""Customers' phone numbers: checked and written one way (E.164), with the restaurant's
region for numbers given without their country code.

A number the kitchen cannot call, or that loyalty points cannot be kept under, is
refused when the order is placed, not found out by a handler that goes DEAD later.
"""

from __future__ import annotations

import locale

import phonenumbers

from backend.errors import BadUserInput

SHOWN_CHARS = 40  # of a refused number, quoted back in the message


def default_region() -> str | None:
    """The region of the machine's locale (``en_GB`` -> ``GB``), or None (``C``)."""
    name = locale.getlocale()[0] or ""
    region = name.partition("_")[2][:2].upper()
    return region if region in phonenumbers.SUPPORTED_REGIONS else None


def check_region(region: str) -> str:
    """A region code as the command line gives it; ValueError with the fix otherwise."""
    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise ValueError(
            f"{region!r} is not a region phonenumbers knows; give a two-letter country "
            "code such as GB, US, DE or FR"
        )
    return code


def normalise(raw: str, region: str | None, field: str = "phone") -> str:
    """``raw`` in E.164 (``+442079460000``), or BAD_USER_INPUT saying how to write it."""
    how = (
        f"give it with its area code, or in international form (+{_country_code(region)} …)"
        if region
        else "give it in international form, starting with + and the country code"
    )
    shown = repr(raw if len(raw) <= SHOWN_CHARS else raw[:SHOWN_CHARS] + "…")
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise BadUserInput(f"{shown} is not a phone number; {how}", field=field) from exc
    if not phonenumbers.is_valid_number(number):
        where = f" in {region}" if region and not raw.strip().startswith("+") else ""
        raise BadUserInput(f"{shown} is not a valid phone number{where}; {how}", field=field)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _country_code(region: str | None) -> int:
    return phonenumbers.country_code_for_region(region) if region else 0
