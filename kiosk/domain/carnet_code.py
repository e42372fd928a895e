"""The carnet's short code: what a visitor types on the kiosk's keypad (or an agent at the
counter) to bring back their carnet on the next visit. Ten digits, the last a Luhn check
digit, so that one mistyped or two swapped digits are refused before any look-up.

Digits only (the kiosk's keypad, any alphabet, read aloud in any language); 9 random digits
are 10^9 codes: with the look-up rate-limited per kiosk and per address, guessing one live
carnet among thousands takes months of tries. The code alone shows nothing personal: the
carnet holds no name, no phone number.
"""

from __future__ import annotations

import secrets

LENGTH = 10


def _luhn_digit(payload: str) -> str:
    total = 0
    for index, char in enumerate(reversed(payload)):
        value = int(char)
        if index % 2 == 0:  # the rightmost payload digit is doubled (check digit goes after)
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return str((10 - total % 10) % 10)


def mint() -> str:
    """A new code: 9 random digits and their check digit."""
    payload = "".join(secrets.choice("0123456789") for _ in range(LENGTH - 1))
    return payload + _luhn_digit(payload)


def normalize(typed: str) -> str:
    """The digits of what was typed (spaces, dashes and dots dropped)."""
    return "".join(char for char in typed if char not in " -.\u00a0")


def is_valid(typed: str) -> bool:
    """Ten digits whose last one checks the nine before (a typo is caught here)."""
    code = normalize(typed)
    return (len(code) == LENGTH and code.isascii() and code.isdigit()
            and _luhn_digit(code[:-1]) == code[-1])


def display(code: str) -> str:
    """Grouped for reading and typing: '123 456 7890'."""
    code = normalize(code)
    return f"{code[:3]} {code[3:6]} {code[6:]}"
