"""Driver scenarios for "Je n'ai pas le code" (initials + time) on the kiosk's appointment
screen (tests/ui/test_appointment_initials.py).

    python -m tests.ui.appointment_initials_driver appointment_initials --config kiosk.toml \
        --out r.json --shots DIR --param lang=fr --param initials=QF --param slot=10:40 ...

The same driver as tests/ui/driver.py (its helpers and main), with two more scenarios.
"""

from __future__ import annotations

import sys

from tests.ui import driver
from tests.ui.driver import find, on_screen, params, settle, shot, tap, wait_until


async def _type(app, letters: str) -> None:
    for letter in letters:
        await tap(app, f"key-{letter}")


async def _erase_all(app, screen) -> None:
    while screen.initials:
        await tap(app, "key-erase")
        await settle()


async def _to_times(app, screen, letters: str) -> None:
    """From the initials step: type `letters`, next; wait for the times offered."""
    await _erase_all(app, screen)
    await _type(app, letters)
    await wait_until(lambda: screen.initials == letters, what=f"{letters!r} typed")
    await tap(app, "appt-initials-next")
    await wait_until(lambda: screen.step == "time" and screen.times_from != "loading",
                     what="the time step's times")


async def _check_in(app, screen, letters: str, slot: str | None = None) -> str:
    """From the initials step: type `letters`, next, touch `slot` (None: the first time
    offered), send; the time sent (the marks offered offline follow the clock: a slow run
    may see others than a moment before)."""
    await _to_times(app, screen, letters)
    slot = slot or screen.times[0]
    await tap(app, f"appt-time-{slot.replace(':', '')}")
    await wait_until(lambda: screen.slot == slot, what=f"{slot} chosen")
    await tap(app, "appt-time-send")
    return slot


async def scenario_appointment_initials(app, args, result):
    """In the language asked: home → "J'ai un rendez-vous" → "Je n'ai pas le code" →
    nothing typed (said, nothing sent) → initials nobody has (404 said) → initials two
    appointments share at that time (409 said) → the network down (the 5-minute marks
    offered, the failure said) → the real initials → the ticket screen with the lane's
    number and the slot's time. The times offered are the server's (the slot off the
    5-minute marks among them)."""
    from kiosk.ports import TransportError

    p = params(args)
    lang = p.get("lang", "fr")
    sent: list[dict] = []
    checkin, slots = app.transport.checkin_appointment, app.transport.appointment_slots
    cut = {"on": False}
    asked: list[list[str]] = []  # each list of times the server gave the kiosk

    def recording(payload):
        sent.append(dict(payload))
        if cut["on"]:
            raise TransportError("POST /appointments/checkin: ConnectError")  # as transport.py says it
        return checkin(payload)

    def slots_or_down():
        if cut["on"]:
            raise TransportError("GET /appointments/slots: ConnectError")
        asked.append(slots())
        return asked[-1]

    app.transport.checkin_appointment = recording
    app.transport.appointment_slots = slots_or_down
    await wait_until(lambda: driver.all_tids(app, "pole-"), what="pole tiles")
    await settle()
    if lang != app.language:
        await tap(app, f"lang-{lang}")
        await wait_until(lambda: app.language == lang, what=f"language {lang}")
    await tap(app, "entry-appointment")
    await on_screen(app, "appointment")
    screen = app.screens["appointment"]
    result["nocode_label"] = find(app, "appt-nocode").label
    result["speech_code"] = app.screen_speech()
    await shot(app, args.shots, f"appointment-nocode-{lang}", result)
    await tap(app, "appt-nocode")
    await wait_until(lambda: screen.step == "initials" and find(app, "key-A"), what="keyboard")
    result["space_key_hidden"] = find(app, "key-space").opacity == 0
    result["letter_keys"] = sorted(driver.all_tids(app, "key-"))
    # Nothing typed: said, nothing sent.
    await tap(app, "appt-initials-next")
    await wait_until(lambda: screen.error, what="'type a letter' said")
    result["empty_error"], result["step_after_empty"] = screen.error, screen.step
    # Five letters typed: four kept.
    await _type(app, "ABCDE")
    await wait_until(lambda: len(screen.initials) == 4, what="four letters")
    await settle()
    result["typed_five"] = screen.initials
    result["speech_initials"] = app.screen_speech()
    result["initials_x"] = screen.ids.initials_display.to_window(*screen.ids.initials_display.pos)[0]
    result["next_x"] = find(app, "appt-initials-next").to_window(*find(app, "appt-initials-next").pos)[0]
    await shot(app, args.shots, f"appointment-initials-{lang}", result)
    # Unknown initials (404).
    await _check_in(app, screen, p["unknown"], p["slot"])
    await wait_until(lambda: not screen.checking_now and screen.error, what="'unknown' said")
    result["times"], result["times_from"] = list(screen.times), screen.times_from
    result["server_times"] = asked[-1]
    result["buttons"] = sorted(b.text for b in screen.ids.times.children)
    result["unknown_error"] = screen.error
    result["speech_unknown"] = app.screen_speech()
    await shot(app, args.shots, f"appointment-time-{lang}", result)
    # Back: the initials step again, the letters kept; the time forgotten.
    await tap(app, "appt-time-back")
    await wait_until(lambda: screen.step == "initials", what="back to the initials")
    result["after_back"] = {"initials": screen.initials, "slot": screen.slot}
    # Two appointments share these initials at that time (409).
    await _check_in(app, screen, p["shared"], p["slot"])
    await wait_until(lambda: not screen.checking_now and screen.error, what="'several' said")
    result["several_error"] = screen.error
    # The network down: go to the reception desk.
    await tap(app, "appt-time-back")
    await wait_until(lambda: screen.step == "initials", what="back to the initials")
    cut["on"] = True
    await _to_times(app, screen, p["initials"])
    result["down_times"], result["down_from"] = list(screen.times), screen.times_from
    result["down_intro"] = screen.ids.time_intro.text
    await shot(app, args.shots, f"appointment-time-offline-{lang}", result)
    await tap(app, "appt-time-back")
    await wait_until(lambda: screen.step == "initials", what="back to the initials")
    result["down_sent"] = await _check_in(app, screen, p["initials"])
    await wait_until(lambda: not screen.checking_now and screen.error, what="'failed' said")
    result["down_error"] = screen.error
    cut["on"] = False
    # The real initials: the ticket.
    await tap(app, "appt-time-back")
    await wait_until(lambda: screen.step == "initials", what="back to the initials")
    await _check_in(app, screen, p["initials"], p["slot"])
    await on_screen(app, "ticket")
    ticket = app.screens["ticket"]
    await wait_until(lambda: ticket.state == "ready", what="the ticket shown")
    result["number"] = ticket.ids.number.text
    result["slot_line"] = ticket.ids.position.text
    result["speech_ticket"] = app.screen_speech()
    result["after_ticket"] = {"initials": screen.initials, "slot": screen.slot,
                              "step": screen.step, "letters": screen.ids.letters.text}
    result["sent"] = sent
    await shot(app, args.shots, f"appointment-initials-ticket-{lang}", result)


async def scenario_appointment_initials_layout(app, args, result):
    """The layout check of tests/ui/test_layout_matrix.py on the two new steps (four letters
    typed and an error said; the time step three ways: offline, the 5-minute marks with one
    chosen and the longest error said; the server's 18 times, off the marks, scrolling; the
    server's none, "no appointment around now"), in the six languages and five modes: no
    cut text, no overlap, nothing off screen, no small target."""
    from kiosk.ports import TransportError
    from tests.ui.matrix_driver import LANGUAGES, MODES, _set_mode, case_problems, quiet

    answer: dict = {"times": None}  # None: the server is down

    def slots():
        if answer["times"] is None:
            raise TransportError("GET /appointments/slots: ConnectError")
        return list(answer["times"])

    app.transport.appointment_slots = slots
    many = [f"{9 + m // 60:02d}:{m % 60:02d}" for m in range(7, 7 + 18 * 4, 4)]

    async def time_step(screen, times):
        answer["times"] = times
        screen.initials_next()
        await wait_until(lambda: screen.times_from != "loading", what="the times")

    await wait_until(lambda: driver.all_tids(app, "pole-"), what="pole tiles")
    found: dict[str, list[str]] = {}
    for code in LANGUAGES:
        app.set_language(code)
        await wait_until(lambda c=code: app.language == c, what=f"language {code}")
        for mode in MODES:
            _set_mode(app, mode)
            app.idle.activity()
            app.flow_screen("appointment").open()
            await wait_until(lambda: app.root.current == "appointment", what="appointment")
            screen = app.screens["appointment"]
            # (The code step as it opens: the layout matrix's "appointment" case.)
            screen.no_code()
            screen.ids.letters.text = "ABCD"
            screen.error = app.tr("appt_initials_short")
            await quiet(app)
            found[f"{code}/{mode}/initials"] = case_problems(app)
            if mode in ("large", "large+lower"):
                await shot(app, args.shots, f"appointment-initials-layout-{code}-{mode}", result)
            await time_step(screen, None)
            screen.choose_time(screen.times[len(screen.times) // 2])
            screen.error = app.tr("appt_initials_unknown")  # the longest words it shows
            await quiet(app)
            found[f"{code}/{mode}/time"] = case_problems(app)
            if mode in ("large", "large+lower"):
                await shot(app, args.shots, f"appointment-time-layout-{code}-{mode}", result)
            screen.step_back()
            await time_step(screen, many)
            screen.choose_time(many[-1])
            await quiet(app)
            found[f"{code}/{mode}/time-many"] = case_problems(app)
            if mode == "normal":
                result.setdefault("many", {})[code] = {
                    "from": screen.times_from,
                    "buttons": sorted(b.text for b in screen.ids.times.children)}
            if mode in ("normal", "large+lower"):
                await shot(app, args.shots, f"appointment-time-many-{code}-{mode}", result)
            screen.step_back()
            await time_step(screen, [])
            await quiet(app)
            found[f"{code}/{mode}/time-none"] = case_problems(app)
            if mode == "normal":
                result.setdefault("none", {})[code] = {
                    "from": screen.times_from, "intro": screen.ids.time_intro.text,
                    "buttons": len(screen.ids.times.children),
                    "send_disabled": find(app, "appt-time-send").disabled,
                    "speech": app.screen_speech()}
            if code in ("fr", "ar") and mode in ("large", "large+lower"):
                await shot(app, args.shots, f"appointment-time-none-{code}-{mode}", result)
            screen.wipe()
            app.go_home()
            await wait_until(lambda: app.root.current == "home", what="home")
    _set_mode(app, "normal")
    result["checked"] = sorted(found)
    result["problems"] = {k: v for k, v in found.items() if v}


driver.SCENARIOS["appointment_initials"] = scenario_appointment_initials
driver.SCENARIOS["appointment_initials_layout"] = scenario_appointment_initials_layout

if __name__ == "__main__":
    sys.exit(driver.main())
