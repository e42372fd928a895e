"""'J'ai un rendez-vous': the check-in code typed on the digit keypad (the SMS screen's),
sent to the server (POST /api/v1/appointments/checkin), then the ticket screen: a number
in the appointment lane, called at the slot's time (or, later than the grace, in the
normal queue). Online only: without the server the kiosk cannot know the appointment, so
it says to go to the reception desk.

Without the code ("Je n'ai pas le code"), two more steps on the same screen: the name's
initials (1-4 letters, on the letter keyboard) then the slot's start, touched among the
times the server lists when the step opens (GET /api/v1/appointments/slots: the starts of
the site's appointments open for check-in around now, whatever the minute, say 10:12);
offline or on an error, among the 5-minute marks around now. The server finds the
appointment by both. Only times come to the kiosk (no names, initials, codes or counts),
and the initials are never logged.

    code ──"no code"──▶ initials ──▶ time ──▶ ticket screen
"""

from __future__ import annotations

import datetime as dt
import logging

from kivy.factory import Factory
from kivy.properties import BooleanProperty, ListProperty, OptionProperty, StringProperty

import kiosk.ui.flow_widgets  # noqa: F401  (Panel, FlowFooter, IconButton)
import kiosk.ui.keypad  # noqa: F401  (NumericKeypad, LetterKeyboard)
from kiosk.domain.appointments import CODE_DIGITS, PICK_EARLIEST, PICK_LATEST
from kiosk.domain.clock import site_now
from kiosk.ui.screens.base import KioskScreen, load_kv
from kiosk.ui.widgets import discard_children

load_kv(__file__)
log = logging.getLogger("carrefour.kiosk.appointment")

STEP_BOX = {"code": "body", "initials": "initials_step", "time": "time_step"}
MAX_INITIALS = 4  # the server keeps at most 4 (CheckinIn.initials)
# Without the server's times: the 5-minute marks of the pick window (most slots start on
# one: 20-minute slots at :00, :20, :40), 15 buttons, three rows of five.
STEP_MINUTES = 5
EARLIEST, LATEST = PICK_EARLIEST, PICK_LATEST


def times_around(now: dt.datetime) -> list[str]:
    """The 5-minute marks a visitor may pick offline ("HH:MM", today only), around `now`."""
    base = now.replace(minute=now.minute - now.minute % STEP_MINUTES, second=0, microsecond=0)
    moments = (base + dt.timedelta(minutes=m) for m in range(EARLIEST, LATEST + 1, STEP_MINUTES))
    return [f"{m:%H:%M}" for m in moments if m.date() == now.date()]


def initials_only(text: str) -> str:
    """What the letter keyboard typed, as the server wants it: A-Z, at most 4."""
    return "".join(c for c in text.upper() if "A" <= c <= "Z")[:MAX_INITIALS]


def ticket_of(answer: dict) -> dict:
    """The check-in's answer as the ticket screen reads a ticket: the wait is the minutes
    to the slot (a lane ticket is called then)."""
    return {"number": answer["number"], "id": answer.get("id"), "ahead": None,
            "estimated_wait_minutes": answer.get("minutes_to_slot"),
            "wait_status": "estimated" if answer.get("lane") else "unknown",
            "phone_url": answer.get("phone_url") or "", "sms": False,
            "service": answer.get("service"), "offline": False}


class AppointmentScreen(KioskScreen):
    error = StringProperty("")
    checking_now = BooleanProperty(False)
    step = OptionProperty("code", options=["code", "initials", "time"])
    initials = StringProperty("")
    slot = StringProperty("")  # the time touched, "HH:MM"
    times = ListProperty([])
    # Where the times come from: "loading" (asked), "server" (the open slots; "none" when
    # there are none now), "marks" (offline or an error: the 5-minute marks).
    times_from = OptionProperty("loading", options=["loading", "server", "none", "marks"])
    _attempt = 0

    def open(self) -> None:
        """From the home screen's entry."""
        self.wipe()
        self.ids.header.title = self.app.tr("appt_title")
        self.keypad_on_reading_side()
        self.app._go("appointment")

    def on_kv_post(self, base_widget):
        keypad = self.ids.keypad
        keypad.max_length = CODE_DIGITS
        for key in keypad.children:  # a check-in code has digits only: no "+" key
            if key.tid == "pad-plus":
                key.opacity, key.disabled = 0, True
        keypad.bind(text=lambda *_: setattr(self, "error", ""))
        letters = self.ids.letters
        letters.max_length = MAX_INITIALS
        letters.bind(text=self._typed_letters, children=self._hide_space)
        self._hide_space()
        # Strong references: self.ids holds weak ones, and a step out of the screen has no
        # parent to keep it alive.
        self._step_boxes = {step: self.ids[box].__self__ for step, box in STEP_BOX.items()}
        self.on_step()

    def on_step(self, *_args) -> None:
        """Only the current step is in the screen: a hidden one would still take touches."""
        boxes = getattr(self, "_step_boxes", None)
        if boxes is None:  # before the kv rule is applied
            return
        steps, shown = self.ids.steps, boxes[self.step]
        if steps.children != [shown]:
            steps.clear_widgets()
            steps.add_widget(shown)

    def _typed_letters(self, keyboard, text: str) -> None:
        self.error = ""
        self.initials = initials_only(text)
        if text != self.initials:  # the space key is hidden; never more than A-Z anyway
            keyboard.text = self.initials

    def _hide_space(self, *_args) -> None:
        """Initials have no space: its key is hidden (the keyboard builds its keys again on
        a language or size change, hence on each change of its rows)."""
        for row in self.ids.letters.children:
            for key in row.children:
                if getattr(key, "tid", "") == "key-space":
                    key.opacity, key.disabled = 0, True

    # -- the steps -------------------------------------------------------------------------

    def no_code(self) -> None:
        """"Je n'ai pas le code": the initials, on the letter keyboard (Latin letters in
        every language: the booking kept the name's initials in Latin script)."""
        self.ids.keypad.clear()
        self.ids.letters.layout = ("initials-qwerty" if self.app.language == "en"
                                   else "initials-azerty")
        self.error, self.step = "", "initials"

    def initials_next(self) -> None:
        if not self.initials:
            self.error = self.app.tr("appt_initials_short")
            return
        self.error, self.step = "", "time"
        self.load_times()

    def load_times(self) -> None:
        """Ask the server for the open slots' times (no button until it answers: a time
        touched must not vanish); offline or on an error, the 5-minute marks."""
        app = self.app
        self._attempt += 1
        attempt = self._attempt
        self.times, self.times_from = [], "loading"
        self.build_times()

        def show(times: list[str], source: str) -> None:
            if attempt != self._attempt or self.step != "time":
                return  # the visitor left the step: an answer for nobody
            self.times = times
            self.times_from = source if times or source != "server" else "none"
            self.build_times()

        def failed(exc) -> None:
            log.info("appointment times not read (%s): the 5-minute marks",
                     getattr(exc, "status", None) or exc.__class__.__name__)
            show(times_around(site_now()), "marks")

        transport = app.transport
        if transport is None:
            show(times_around(site_now()), "marks")
            return
        app.bridge.submit(transport.appointment_slots, lambda times: show(times, "server"),
                          failed)

    def build_times(self) -> None:
        grid = self.ids.times
        discard_children(grid)
        for time in self.times:
            button = Factory.ApptTime(tid=f"appt-time-{time.replace(':', '')}", text=time,
                                      active=time == self.slot)
            button.bind(on_release=lambda _b, t=time: self.choose_time(t))
            grid.add_widget(button)

    def on_slot(self, *_args) -> None:
        for button in self.ids.times.children:
            button.active = button.text == self.slot

    def choose_time(self, time: str) -> None:
        self.slot, self.error = time, ""

    def step_back(self) -> None:
        """The lower "Retour" of each step: the step before (the code step: the screen
        before)."""
        self._attempt += 1  # an answer still on its way is for a step left
        self.checking_now, self.error = False, ""
        if self.step == "time":
            self.slot, self.step = "", "initials"
        elif self.step == "initials":
            self.ids.letters.clear()
            self.step = "code"
        else:
            self.wipe()
            self.app.go_back()

    # -- sending -----------------------------------------------------------------------------

    def submit(self) -> None:
        if self.checking_now:
            return
        if self.step == "initials":
            self.initials_next()
            return
        app = self.app
        if self.step == "time":
            if not self.slot:
                self.error = app.tr("appt_time_missing")
                return
            self._send({"initials": self.initials, "time": self.slot},
                       {404: app.tr("appt_initials_unknown"), 409: app.tr("appt_several")})
            return
        code = self.ids.keypad.text
        if len(code) < CODE_DIGITS:
            self.error = app.tr("appt_error_short")
            return
        self._send({"code": code}, {404: app.tr("appt_unknown")})

    def _send(self, payload: dict, said: dict[int, str]) -> None:
        """The check-in call, off the UI thread; `said`: the words for a refusal's status
        (anything else, the network down included: "go to the reception desk")."""
        app = self.app
        transport = app.transport
        if transport is None:
            self.error = app.tr("appt_failed")
            return
        self.checking_now, self.error = True, ""
        self._attempt += 1
        attempt, step = self._attempt, self.step
        body = {**payload, "language": app.language}

        def done(answer):
            if attempt == self._attempt and app.root.current == "appointment":
                self.checking_now = False
                self.show_ticket(answer)

        def failed(exc):
            if attempt != self._attempt:
                return
            self.checking_now = False
            status = getattr(exc, "status", None)
            # The status and the step only: never the code or the initials.
            log.info("check-in refused (%s, by %s)", status, step)
            self.error = said.get(status or 0) or app.tr("appt_failed")

        app.bridge.submit(lambda: transport.checkin_appointment(body), done, failed)

    def show_ticket(self, answer: dict) -> None:
        app = self.app
        service = app.store.service(answer.get("service") or "")
        screen = app.screens["ticket"]
        screen.pending(service.title(app.language) if service is not None else "")
        screen.documents, screen.carnet = [], ""
        ticket = ticket_of(answer)
        screen.ready(ticket)
        key = "appt_ticket_slot" if answer.get("lane") else "appt_ticket_late"
        screen.ids.position.text = app.tr(key, time=answer.get("slot", ""))
        self.wipe()
        self.app.history = [h for h in app.history if h[0] != "appointment"]
        app._go("ticket")
        if service is not None:
            app.print_ticket(ticket, service, [])

    def time_intro(self) -> str:
        """The time step's words: searching, no appointment around now, or touch the time."""
        app = self.app
        if self.times_from == "loading":
            return app.tr("appt_checking")
        if self.times_from == "none":
            return app.tr("appt_no_slot_now")
        return app.tr("appt_time_type")

    def wipe(self) -> None:
        """Nothing of the code, the initials or the time stays on screen (idle reset, checked
        in, new visitor); back to the code step."""
        self._attempt += 1
        self.ids.keypad.clear()
        self.ids.letters.clear()
        self.initials = self.slot = ""
        self.error = ""
        self.checking_now = False
        self.step = "code"

    def speech_text(self) -> str:
        app = self.app
        if self.step == "initials":
            parts = [app.tr("appt_title"), app.tr("appt_initials_type"),
                     " ".join(self.initials), self.error]  # letter by letter
        elif self.step == "time":
            parts = [app.tr("appt_title"), self.time_intro(), self.slot, self.error,
                     app.tr("appt_checking") if self.checking_now else ""]
        else:
            typed = " ".join(self.ids.keypad.text)  # digit by digit
            parts = [app.tr("appt_title"), app.tr("appt_type"), typed, self.error,
                     app.tr("appt_checking") if self.checking_now else "",
                     app.tr("appt_no_code")]
        return ". ".join(p for p in parts if p)
