"""The fair priority rule: priority first, normal tickets never starve, no priority to the back."""

from __future__ import annotations

import math
import random

import pytest

from kiosk.domain.priority import WaitingTicket, choose_next, priority_streak


def _t(tid: str, at: float, priority: bool = False) -> WaitingTicket:
    return WaitingTicket(tid, "C", at, priority)


def test_nobody_waiting():
    assert choose_next([], [True, True]) is None


def test_priority_goes_first():
    waiting = [_t("C001", 1), _t("C002", 2), _t("C003", 3, priority=True)]
    assert choose_next(waiting, []).ticket_id == "C003"
    assert choose_next(waiting, [False, True]).ticket_id == "C003"


def test_oldest_of_each_class_by_issue_time_not_list_order():
    waiting = [_t("C005", 5), _t("C002", 2), _t("C009", 9, True), _t("C007", 7, True)]
    assert choose_next(waiting, []).ticket_id == "C007"
    assert choose_next(waiting, [True, True]).ticket_id == "C002"


def test_third_priority_in_a_row_yields_to_a_waiting_normal():
    waiting = [_t("C001", 1), _t("C002", 2, True)]
    assert choose_next(waiting, [False, True, True]).ticket_id == "C001"
    # Only the tail counts: an older streak broken by a normal call does not.
    assert choose_next(waiting, [True, True, False, True]).ticket_id == "C002"


def test_priorities_continue_when_no_normal_waits():
    waiting = [_t("C002", 2, True), _t("C003", 3, True)]
    assert choose_next(waiting, [True, True, True]).ticket_id == "C002"


def test_priority_streak():
    assert priority_streak([]) == 0
    assert priority_streak([True, False, True, True]) == 2
    assert priority_streak([True, True, False]) == 0


def _strict_priority(waiting, recent_calls):
    """An unfair rule, used to show the property checks below can fail."""
    return min(waiting, key=lambda t: (not t.priority, t.issued_at), default=None)


def _stream_with_positions(chooser, seed, steps=400, p_priority=0.6):
    """Like _run_stream but records, at arrival, how many calls had been made."""
    rng = random.Random(seed)
    waiting: list[WaitingTicket] = []
    calls: list[WaitingTicket] = []
    record = {}
    n = 0
    for _ in range(steps):
        for _ in range(rng.choice((0, 1, 1, 2))):
            n += 1
            ticket = _t(f"T{n}", float(n), rng.random() < p_priority)
            ahead = sum(1 for w in waiting if w.priority == ticket.priority)
            waiting.append(ticket)
            record[ticket.ticket_id] = (ticket, len(calls), ahead)
        chosen = chooser(list(waiting), [c.priority for c in calls])
        if chosen is not None:
            waiting.remove(chosen)
            calls.append(chosen)
    called_index = {c.ticket_id: i + 1 for i, c in enumerate(calls)}
    return record, calls, called_index, waiting


def _normal_bound_violations(chooser, seed):
    record, _, called_index, waiting = _stream_with_positions(chooser, seed)
    bad = []
    for tid, (ticket, calls_at_arrival, ahead) in record.items():
        if ticket.priority:
            continue
        bound = 3 * (ahead + 1)
        if tid in called_index:
            waited = called_index[tid] - calls_at_arrival
        else:
            waited = len(called_index) - calls_at_arrival + 1  # still waiting: lower bound
        if waited > bound:
            bad.append((tid, waited, bound))
    return bad


@pytest.mark.parametrize("seed", range(20))
def test_normal_tickets_never_starve(seed):
    assert _normal_bound_violations(choose_next, seed) == []


def test_the_starvation_check_catches_an_unfair_rule():
    assert any(_normal_bound_violations(_strict_priority, seed) for seed in range(5))


def test_a_passed_over_priority_ticket_keeps_its_place():
    waiting = [_t("C001", 1), _t("C002", 2), _t("C003", 3, True)]
    calls = [True, True]
    first = choose_next(waiting, calls)
    assert first.ticket_id == "C001"
    waiting.remove(first)
    assert choose_next(waiting, calls + [False]).ticket_id == "C003"


@pytest.mark.parametrize("seed", range(20))
def test_priority_tickets_are_never_sent_to_the_back(seed):
    record, calls, called_index, _ = _stream_with_positions(choose_next, seed, p_priority=0.3)
    for tid, (ticket, calls_at_arrival, ahead) in record.items():
        if not ticket.priority or tid not in called_index:
            continue
        waited = called_index[tid] - calls_at_arrival
        assert waited <= ahead + 1 + math.ceil((ahead + 1) / 2), tid
        # Normal tickets that arrived later yet were called earlier: only anti-starvation
        # calls, at most one per two priority calls.
        passed_by = [
            c for c in calls[calls_at_arrival:called_index[tid] - 1]
            if not c.priority and c.issued_at > ticket.issued_at
        ]
        assert len(passed_by) <= math.ceil((ahead + 1) / 2), tid


@pytest.mark.parametrize("seed", range(10))
def test_never_more_than_two_priority_calls_in_a_row_while_a_normal_waits(seed):
    record, calls, called_index, _ = _stream_with_positions(choose_next, seed, p_priority=0.7)
    for i in range(2, len(calls)):
        if calls[i].priority and calls[i - 1].priority and calls[i - 2].priority:
            # No normal ticket was waiting at call i: every normal issued before it was
            # already called.
            for ticket, calls_at_arrival, _ in record.values():
                if not ticket.priority and calls_at_arrival <= i:
                    assert called_index.get(ticket.ticket_id, 10**9) <= i, ticket


def test_ties_on_issue_time_go_by_seq_whatever_the_list_order():
    a = WaitingTicket("A", "C", 5.0, seq=12)
    b = WaitingTicket("B", "Q", 5.0, seq=7)
    assert choose_next([a, b]).ticket_id == "B"
    assert choose_next([b, a]).ticket_id == "B"
    # Without a seq, complete ties keep list order (the server always gives one).
    assert choose_next([_t("X", 5.0), _t("Y", 5.0)]).ticket_id == "X"
