"""Ticket rules: lifecycle transitions, prefixes, display numbers."""

from __future__ import annotations

import itertools

import pytest

from kiosk.domain.tickets import (
    MAX_NUMBER,
    TRANSITIONS,
    InvalidTransition,
    TicketStatus,
    check_transition,
    format_ticket_number,
    parse_ticket_number,
    validate_prefix,
)

S = TicketStatus
ALLOWED = {
    (S.WAITING, S.CALLED),
    (S.WAITING, S.CANCELLED),
    (S.CALLED, S.DONE),
    (S.CALLED, S.NO_SHOW),
    (S.CALLED, S.CALLED),  # recall
    (S.CALLED, S.PARKED),  # set aside at the counter
    (S.CALLED, S.WAITING),  # transferred to another service
    (S.PARKED, S.WAITING),  # resumed
    (S.PARKED, S.CALLED),
    (S.PARKED, S.CANCELLED),
    (S.PARKED, S.NO_SHOW),
}


@pytest.mark.parametrize("current,new", sorted(ALLOWED))
def test_allowed_transitions(current, new):
    assert check_transition(current, new) is new


@pytest.mark.parametrize(
    "current,new", sorted(set(itertools.product(S, S)) - ALLOWED)
)
def test_every_other_transition_is_refused(current, new):
    with pytest.raises(InvalidTransition):
        check_transition(current, new)


def test_transitions_accept_plain_strings_and_return_the_enum():
    result = check_transition("waiting", "called")
    assert result is S.CALLED
    with pytest.raises(InvalidTransition, match="done"):
        check_transition("done", "waiting")


def test_unknown_status_is_a_value_error():
    with pytest.raises(ValueError):
        check_transition("waiting", "teleported")
    with pytest.raises(ValueError):
        check_transition("lost", "called")


def test_invalid_transition_is_a_value_error():
    assert issubclass(InvalidTransition, ValueError)


def test_final_statuses_have_no_successor():
    for status in (S.DONE, S.CANCELLED, S.NO_SHOW):
        assert TRANSITIONS[status] == frozenset()
    assert set(TRANSITIONS) == set(S)


def test_open_statuses():
    assert {s for s in S if s.is_open} == {S.WAITING, S.CALLED, S.PARKED}


def test_status_values_are_the_wire_values():
    assert [s.value for s in S] == ["waiting", "called", "done", "cancelled", "no_show", "parked"]


@pytest.mark.parametrize("prefix", ["A", "C", "Z"])
def test_valid_prefixes(prefix):
    assert validate_prefix(prefix) == prefix




@pytest.mark.parametrize(
    "prefix",
    ["", None, "c", "CC", "1", "É", " C", "C ", "-", "C\n"],
)
def test_invalid_prefixes(prefix):
    with pytest.raises(ValueError, match="prefix"):
        validate_prefix(prefix)


@pytest.mark.parametrize(
    "prefix,number,display",
    [("C", 1, "C001"), ("C", 42, "C042"), ("F", 100, "F100"), ("Z", MAX_NUMBER, "Z999")],
)
def test_format_ticket_number(prefix, number, display):
    assert format_ticket_number(prefix, number) == display


@pytest.mark.parametrize("number", [0, -1, MAX_NUMBER + 1, 10_000])
def test_format_refuses_numbers_out_of_range(number):
    with pytest.raises(ValueError, match="number"):
        format_ticket_number("C", number)


def test_format_refuses_a_bad_prefix():
    with pytest.raises(ValueError, match="prefix"):
        format_ticket_number("c", 1)


def test_max_number_fits_the_display_width():
    assert MAX_NUMBER == 999


@pytest.mark.parametrize("number", [1, 7, 42, 99, 100, 500, 999])
@pytest.mark.parametrize("prefix", ["A", "L", "Z"])
def test_format_parse_round_trip(prefix, number):
    assert parse_ticket_number(format_ticket_number(prefix, number)) == (prefix, number)


def test_parse_output_formats_back_to_the_same_text():
    # Whatever parse accepts must be exactly what format produces (no second spelling).
    for display in ("C042", "Z999", "A001"):
        assert format_ticket_number(*parse_ticket_number(display)) == display


def test_parse_ticket_number():
    assert parse_ticket_number("C042") == ("C", 42)


@pytest.mark.parametrize(
    "display",
    ["", None, "C000", "c042", "C42", "C0042", "42", "CC042", "C04a", " C042", "C042 ", "C-42",
     "C042\n",
     "C\u0664\u0662\u0663"],
)
def test_parse_rejects_what_is_not_a_ticket_number(display):
    with pytest.raises(ValueError, match="ticket number"):
        parse_ticket_number(display)
