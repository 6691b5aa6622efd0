"""The New order dialog's live check of a phone number, as the person types it.

The server is the judge (it refuses a bad number with BAD_USER_INPUT on ``phone``);
this only says so before Place is pressed, with the restaurant's region it reports.
"""

from __future__ import annotations

import phonenumbers


def phone_problem(text: str, region: str | None) -> str | None:
    """Why ``text`` is not a phone number the restaurant can call, or None."""
    if not text.strip():
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_valid_number(number):
        return None
    if region is None or text.strip().startswith("+"):
        return "Not a phone number yet: give it as +, the country code and the number."
    return f"Not a phone number in {region} yet: give it with its area code."
