"""A driver scenario for "J'ai un rendez-vous" on the kiosk (tests/ui/test_appointment_kiosk.py).

    python -m tests.ui.appointment_driver appointment --config kiosk.toml --out r.json --shots DIR

The same driver as tests/ui/driver.py (its helpers and main), with one more scenario.
"""

from __future__ import annotations

import sys

from tests.ui import driver
from tests.ui.driver import find, on_screen, params, press_digits, settle, shot, tap, wait_until


async def scenario_appointment(app, args, result):
    """In the language asked: home → "J'ai un rendez-vous" → a short code (said at once,
    nothing sent), a code the server does not know (said), then the real code → the
    ticket screen with the lane's number and the slot's time."""
    p = params(args)
    lang = p.get("lang", "fr")
    sent: list[dict] = []
    checkin = app.transport.checkin_appointment

    def recording(payload):
        sent.append(dict(payload))
        return checkin(payload)

    app.transport.checkin_appointment = recording
    await wait_until(lambda: driver.all_tids(app, "pole-"), what="pole tiles")
    await settle()
    if lang != app.language:
        await tap(app, f"lang-{lang}")
        await wait_until(lambda: app.language == lang, what=f"language {lang}")
    result["entry_label"] = find(app, "entry-appointment").text
    await shot(app, args.shots, f"appointment-home-{lang}", result)
    await tap(app, "entry-appointment")
    await on_screen(app, "appointment")
    screen = app.screens["appointment"]
    result["plus_key_hidden"] = find(app, "pad-plus").disabled
    keypad = screen.ids.keypad
    await press_digits(app, p["code"][:3])
    await tap(app, "appt-send")
    await settle()
    result["short_error"], result["sent_after_short"] = screen.error, len(sent)
    await press_digits(app, p["unknown"][3:])  # completes a code the server does not know
    result["typed_unknown"] = keypad.text
    await tap(app, "appt-send")
    await wait_until(lambda: not screen.checking_now and screen.error, what="'unknown' said")
    result["unknown_error"] = screen.error
    result["speech_unknown"] = app.screen_speech()
    result["pad_x"] = find(app, "pad-1").to_window(*find(app, "pad-1").pos)[0]
    result["form_x"] = screen.ids.form.to_window(*screen.ids.form.pos)[0]
    await shot(app, args.shots, f"appointment-keypad-{lang}", result)
    for _ in range(len(keypad.text)):
        await tap(app, "pad-erase")
    await press_digits(app, p["code"])
    await tap(app, "appt-send")
    await on_screen(app, "ticket")
    ticket = app.screens["ticket"]
    await wait_until(lambda: ticket.state == "ready", what="the ticket shown")
    result["number"] = ticket.ids.number.text
    result["slot_line"] = ticket.ids.position.text
    result["wait_line"] = ticket.ids.wait.text
    result["has_qr"] = ticket.has_qr
    result["speech_ticket"] = app.screen_speech()
    result["keypad_after"] = keypad.text
    result["sent"] = sent
    await shot(app, args.shots, f"appointment-ticket-{lang}", result)


async def scenario_appointment_layout(app, args, result):
    """The layout check of tests/ui/test_layout_matrix.py on the keypad with a code typed and
    an error said, in the six languages and five modes: no cut text, no overlap, nothing off
    screen, no small target (home with its entry and the keypad as it opens: the matrix's
    own "home" and "appointment" cases)."""
    from tests.ui.matrix_driver import LANGUAGES, MODES, _set_mode, case_problems, quiet

    await wait_until(lambda: driver.all_tids(app, "pole-"), what="pole tiles")
    found: dict[str, list[str]] = {}
    for code in LANGUAGES:
        app.set_language(code)
        await wait_until(lambda c=code: app.language == c, what=f"language {code}")
        for mode in MODES:
            _set_mode(app, mode)
            app.idle.activity()
            app.go_home()  # (home with its entry: the layout matrix's "home" case)
            await wait_until(lambda: app.root.current == "home", what="home")
            app.flow_screen("appointment").open()
            await wait_until(lambda: app.root.current == "appointment", what="appointment")
            screen = app.screens["appointment"]
            screen.ids.keypad.text = "123"
            # The longest words the code step shows under the code (the network down is
            # longer than an unknown code in some languages).
            screen.error = max((app.tr(k) for k in ("appt_unknown", "appt_failed")), key=len)
            await quiet(app)
            found[f"{code}/{mode}/appointment"] = case_problems(app)
            if mode in ("large", "large+lower"):
                await shot(app, args.shots, f"appointment-layout-{code}-{mode}", result)
            screen.wipe()
    _set_mode(app, "normal")
    result["checked"] = sorted(found)
    result["problems"] = {k: v for k, v in found.items() if v}


driver.SCENARIOS["appointment"] = scenario_appointment
driver.SCENARIOS["appointment_layout"] = scenario_appointment_layout

if __name__ == "__main__":
    sys.exit(driver.main())
