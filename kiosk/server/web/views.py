"""Web pages. The views live in one module per page family:

- console.py: the counter console (agents) and tickets issued by an agent;
- board.py: the display board of the waiting area (public);
- phone.py: the phone page of a ticket (visitors).
"""

from kiosk.server.web.board import board, board_state_json
from kiosk.server.web.console import (
    console,
    counter_action,
    counter_state_json,
    counter_view,
    issue_ticket,
)
from kiosk.server.web.phone import phone_leave, phone_more_time, phone_state_json, phone_ticket

__all__ = [
    "board", "board_state_json", "console", "counter_action", "counter_state_json",
    "counter_view", "issue_ticket", "phone_leave", "phone_more_time", "phone_state_json",
    "phone_ticket",
]
