"""The appointment lane's rule (kiosk.domain.appointments) and the estimator's slots."""

from __future__ import annotations

import random

from kiosk.domain.appointments import (
    HOLD_FACTOR,
    LANE,
    LATE,
    Slot,
    checkin_lane,
    decide,
    due_slot,
    held_for,
    initials,
    mint_code,
    punctual,
)
from kiosk.domain.estimation import CounterState, QueueSnapshot, ServiceTimeModel, estimate_calls
from kiosk.domain.priority import WaitingTicket

S = frozenset({"T"})


def walk_in(i: int, at: float = 0.0, service: str = "T") -> WaitingTicket:
    return WaitingTicket(f"w{i}", service, at + i, seq=i)


def test_checkin_up_to_the_grace_enters_the_lane():
    assert checkin_lane(600 - 30, 600, grace=10) == LANE  # early
    assert checkin_lane(610, 600, grace=10) == LANE  # late within the grace
    assert checkin_lane(610.01, 600, grace=10) == LATE  # the normal queue


def test_an_appointment_is_due_at_its_slot_never_before():
    here = Slot("a", "T", 600, 20, ticket_id="r1")
    booked = Slot("b", "T", 590, 20)  # not checked in: nothing to call
    assert due_slot([here, booked], S, 599.9) is None
    assert due_slot([here, booked], S, 600) == here
    assert due_slot([here], frozenset({"C"}), 700) is None  # another service's counter


def test_the_earliest_slot_goes_first_whatever_the_check_in_order():
    late_slot = Slot("a", "T", 610, 20, ticket_id="r1")
    early_slot = Slot("b", "T", 600, 20, ticket_id="r2")
    assert decide([walk_in(1)], [], [late_slot, early_slot], S, 615, {"T": 10}, {}).appointment \
        == early_slot


def test_a_due_appointment_passes_the_walk_ins_and_the_priority_ones():
    slot = Slot("a", "T", 600, 20, ticket_id="r1")
    waiting = [walk_in(1), WaitingTicket("p", "T", 0.5, priority=True)]
    decision = decide(waiting, [], [slot], S, 601, {"T": 10}, {})
    assert decision.ticket.ticket_id == "r1" and decision.held_until is None


def test_an_early_arrival_waits_and_walk_ins_go_on_while_the_slot_is_far():
    slot = Slot("a", "T", 700, 20, ticket_id="r1")
    decision = decide([walk_in(1)], [], [slot], S, 600, {"T": 10}, {})
    assert decision.ticket.ticket_id == "w1" and decision.appointment is None


def test_a_counter_is_held_when_a_walk_in_would_overrun_the_slot():
    slot = Slot("a", "T", 610, 20)
    assert held_for([slot], S, 600, HOLD_FACTOR * 10, {}) == slot
    decision = decide([walk_in(1)], [], [slot], S, 600, {"T": 10}, {})
    assert decision.ticket is None and decision.held_until == 610
    # Another idle counter serving the service takes the slot: this one calls the walk-in.
    assert decide([walk_in(1)], [], [slot], S, 600, {"T": 10}, {"T": 1}).ticket.ticket_id == "w1"
    # Two slots at once and one other idle counter: this one is needed too.
    twin = Slot("b", "T", 610, 20)
    assert decide([walk_in(1)], [], [slot, twin], S, 600, {"T": 10}, {"T": 1}).held_until == 610
    # Beyond the horizon (1.5 x a 4-min walk-in): no hold.
    assert decide([walk_in(1)], [], [slot], S, 600, {"T": 4}, {}).ticket.ticket_id == "w1"
    # A booked slot past its start holds nothing (its visitor may be late, or not come).
    assert held_for([Slot("c", "T", 599, 20)], S, 600, 15, {}) is None


def test_nobody_to_call_is_not_a_hold():
    decision = decide([], [], [Slot("a", "T", 610, 20, ticket_id="r1")], S, 600, {"T": 10}, {})
    assert decision.ticket is None and decision.held_until is None


def test_punctual_means_called_within_five_minutes_of_the_slot():
    assert punctual(600, 605) and punctual(600, 600)
    assert not punctual(600, 605.5) and not punctual(600, None)


def test_codes_are_six_digits_fresh_and_initials_keep_no_name():
    rng = random.Random(1)
    taken = {mint_code(rng=rng) for _ in range(50)}
    fresh = mint_code(taken, rng=random.Random(1))
    assert fresh not in taken and len(fresh) == 6 and fresh.isdigit() and fresh[0] != "0"
    assert initials("Marie-Claire d'Argent") == "MCDA"
    assert initials("élodie martin") == "EM"
    assert initials("") == ""


def _snapshot(slots, waiting):
    counter = CounterState("G1", frozenset({"T"}), idle_since=600)
    return QueueSnapshot(600, {"T": waiting}, [counter], appointments=slots)


def test_the_estimator_calls_a_lane_ticket_at_its_slot_and_walk_ins_around_it():
    model = ServiceTimeModel({"T": 10.0})
    here = Slot("a", "T", 630, 20, ticket_id="r1")
    calls = estimate_calls(_snapshot([here], [walk_in(1, at=590)]), model, draws=1)
    # The walk-in (10 min) ends before the slot: called now, then the lane ticket at 10:30.
    assert calls["w1"].mean < 1
    assert abs(calls["r1"].mean - 30) < 1e-6
    # A slot starting within the walk-in's length: the counter keeps itself free for it.
    soon = Slot("a", "T", 605, 20, ticket_id="r1")
    calls = estimate_calls(_snapshot([soon], [walk_in(1, at=590)]), model, draws=1)
    assert abs(calls["r1"].mean - 5) < 1e-6
    assert calls["w1"].mean > 5 + 8  # after the appointment
    # Without appointments: unchanged.
    assert estimate_calls(_snapshot([], [walk_in(1, at=590)]), model, draws=1)["w1"].mean < 1
