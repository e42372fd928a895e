"""The kiosk's SMS step says at once what the server would refuse (kiosk/ui/flows.py
sms_submit): a number of a country the server does not send SMS to is an error on the keypad,
never a ticket lost to a 422."""

from __future__ import annotations

import pytest

from kiosk.ui.flows import FlowsMixin


class Flow(FlowsMixin):
    def __init__(self):
        self.ticket_draft = {"service": "naissance"}
        self.issued: list[str | None] = []

    def issue_ticket(self, phone):
        self.issued.append(phone)

    def go_home(self):  # pragma: no cover - not reached here
        raise AssertionError("went home")


@pytest.mark.parametrize("typed", ["+44 7911 123456", "+49 151 23456789"])
def test_a_number_the_server_would_refuse_is_said_on_the_keypad(typed):
    """Real mobiles, of countries the server does not send SMS to (settings.SMS_COUNTRIES)."""
    flow = Flow()
    assert flow.sms_submit(typed, consent=True) == "phone_error_country"
    assert flow.issued == []


def test_a_french_mobile_issues_the_ticket_with_its_number():
    flow = Flow()
    assert flow.sms_submit("06 12 34 56 78", consent=True) is None
    assert flow.issued == ["+33612345678"]


def test_an_overseas_department_mobile_is_served():
    flow = Flow()
    assert flow.sms_submit("+262 692 12 34 56", consent=True) is None  # La Réunion
    assert flow.issued == ["+262692123456"]
