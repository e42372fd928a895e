"""The visitor journeys, as methods of the kiosk app (mixed into KioskApp).

    service (ticks, "J'ai un carnet": kiosk/ui/carnet_flow.py)
      ─▶ priority category ─▶ SMS? ─(yes)▶ privacy notice + keypad + consent ─┐
                                        └─(no)──────────────────────────────────────┴▶ ticket
    ticket (number, wait, QR, printed) ─▶ while you wait (nearby places) ─▶ home
    home ─▶ life situations ─▶ a situation ─▶ service      home ─▶ search ─▶ service/situation
    home ─▶ Carte Citoyenne ─▶ offer     home ─▶ in the neighbourhood ─▶ offer
    while you wait ─▶ today's events ─▶ offer
    any screen ─▶ call an agent ─▶ "an agent is coming" (status polled) | "go to reception"

The phone number is asked BEFORE the ticket is issued: protocol v1 takes it with the
ticket request (POST /tickets: phone + sms_consent) and has no call to attach a phone to
an existing ticket, so one request carries everything. The number lives in the flow only
until that request is built; offline, it waits in the outbox with the ticket until the
server has it (kiosk/sync/desk.py), then the store erases it.

Screens other than home are created on first use (start-up stays fast): ScreenRegistry.
Blocking calls (network, printer) run on the bridge's workers; results come back on the
Kivy thread. Features whose back-end is not there (no server, older server, no printer)
degrade to words that tell the visitor what to do.
"""

from __future__ import annotations

import logging
import time
import uuid

from kiosk.domain.clock import site_now
from kiosk.domain.priorities import PRIORITY_KEYS
from kiosk.domain.wait import shown_from_wire
from kiosk.ui.carnet_flow import CarnetFlowMixin

log = logging.getLogger("carrefour.kiosk.flows")

# name -> (module, class); imported on first use.
FLOW_SCREENS = {
    "pole": ("kiosk.ui.screens.pole", "PoleScreen"),
    "service": ("kiosk.ui.screens.service", "ServiceScreen"),
    "carnet": ("kiosk.ui.screens.carnet", "CarnetScreen"),
    "ticket": ("kiosk.ui.screens.ticket", "TicketScreen"),
    "situations": ("kiosk.ui.screens.situations", "SituationsScreen"),
    "situation": ("kiosk.ui.screens.situation", "SituationScreen"),
    "search": ("kiosk.ui.screens.search", "SearchScreen"),
    "assist": ("kiosk.ui.screens.assist", "AssistScreen"),
    "priority": ("kiosk.ui.screens.priority", "PriorityScreen"),
    "sms_offer": ("kiosk.ui.screens.sms_optin", "SmsOfferScreen"),
    "sms_phone": ("kiosk.ui.screens.sms_optin", "SmsPhoneScreen"),
    "wait_info": ("kiosk.ui.screens.wait_info", "WaitInfoScreen"),
    "carte": ("kiosk.ui.screens.offers", "CarteScreen"),
    "offers": ("kiosk.ui.screens.offers", "OffersScreen"),
    "offer": ("kiosk.ui.screens.offers", "OfferScreen"),
    "propose": ("kiosk.ui.screens.propose", "ProposeScreen"),
    "propose_details": ("kiosk.ui.screens.propose", "ProposeDetailsScreen"),
    "feedback": ("kiosk.ui.screens.feedback", "FeedbackScreen"),  # "Donner mon avis"
    "feedback_comment": ("kiosk.ui.screens.feedback", "FeedbackCommentScreen"),
    "appointment": ("kiosk.ui.screens.appointment", "AppointmentScreen"),  # "J'ai un rendez-vous"
}
# Screens redrawn when content changes while they are shown (False from refresh: go home).
REFRESHED = ("situations", "situation", "search", "carte", "offers", "offer")
# Steps of the ticket flow: once the ticket exists, "back" never returns into them.
TICKET_STEPS = ("priority", "sms_offer", "sms_phone")
# Languages espeak-ng has no voice for: read-aloud plays the recordings content provides.
RECORDED_ONLY = ("wo", "bm")
QUEUE_STATUS_TTL = 15.0
ASSIST_POLL_SECONDS = 3.0


class ScreenRegistry(dict):
    """The app's screens by name; a known screen not built yet is built when first asked
    for (`app.screens["service"]`), so that start-up draws its first frame sooner.
    `get()` does not build: it answers None for a screen never shown."""

    def __init__(self, app):
        super().__init__()
        self.app = app

    def __missing__(self, name: str):
        if name not in FLOW_SCREENS:
            raise KeyError(name)
        return self.app.flow_screen(name)


class FlowsMixin(CarnetFlowMixin):
    """Journeys of KioskApp. Expects: store (kiosk.ports.KioskStore), transport
    (kiosk.ports.KioskTransport, None without a server), desk (None without a server),
    bridge, screens, root, _go, _wake_sync."""

    ticket_draft: dict | None = None
    ticket_requests = 0  # how many ticket requests left the kiosk (tests: "nothing sent")
    assistance_requests = 0
    # The devices (kiosk.ui.device_hooks.setup_devices sets them after the first frame;
    # None: none configured, or not yet).
    printer = None
    speaker = None
    watchdog = None  # kiosk.devices.watchdog.SystemdWatchdog
    exit_gesture = None  # kiosk.devices.exit_gesture.ExitGesture
    exit_dialog = None  # the agents' PIN dialog, made on its first use and kept
    notice = None  # the message shown over the screen, if any
    _assist_attempt = 0  # +1 per call for an agent: older answers are not shown
    _queue_cache: tuple[float, dict] | None = None  # (time.monotonic(), services)

    # -- screens ---------------------------------------------------------------------------

    def flow_screen(self, name: str):
        """The screen called `name`, created (and added to the manager) on first use."""
        if name not in self.screens:
            import importlib

            module, cls = FLOW_SCREENS[name]
            screen = getattr(importlib.import_module(module), cls)()
            self.screens[name] = screen
            self.root.add_widget(screen)
        return self.screens[name]

    def refresh_flows(self) -> None:
        """Content changed: redraw the journey screen on show (ids that vanished go home)."""
        current = self.root.current
        screen = self.screens.get(current)
        if current in REFRESHED and hasattr(screen, "refresh"):
            if screen.refresh() is False:
                self.go_home()

    # -- life situations, offers and search -----------------------------------------------

    def open_carte(self) -> None:
        self.flow_screen("carte").show()
        self._go("carte")

    def open_offers(self, which: str | None = None) -> None:
        self.flow_screen("offers").show(which)
        if self.root.current != "offers":
            self._go("offers")

    def open_offer(self, offer_id: str) -> None:
        if self.flow_screen("offer").show(offer_id):
            self._go("offer")

    def open_propose(self) -> None:
        self.flow_screen("propose").show()
        self._go("propose")

    def propose_details(self) -> None:
        typing = self.flow_screen("propose")
        if typing.ready():
            self.flow_screen("propose_details").show(typing.typed)
            self._go("propose_details")

    def send_proposal(self, payload: dict) -> None:
        """Queue a resident's proposal in the outbox (sent once, even after a restart);
        a moderator reads it before any kiosk shows it."""
        self.last_proposal_id = self.store.enqueue("contribution", payload).id
        self.flow_screen("propose").wipe()
        self._wake_sync()

    def open_situations(self) -> None:
        self.flow_screen("situations").show()
        self._go("situations")

    def open_situation(self, situation_id: str) -> None:
        if self.flow_screen("situation").show(situation_id):
            self._go("situation")

    def open_search(self) -> None:
        self.flow_screen("search").show()
        self._go("search")

    def open_result(self, kind: str, item_id: str) -> None:
        if kind == "situation":
            self.open_situation(item_id)
        elif kind == "interest":  # an envie found by search: the offers that have it
            self.flow_screen("offers").chosen = [item_id]
            self.open_offers("all")
        else:
            self.open_service(item_id)

    # -- current wait of a service ---------------------------------------------------------

    def queue_status(self, on_result) -> None:
        """Call on_result({service id: {...}} or None when unknown), on the Kivy thread."""
        if self.transport is None:
            on_result(None)
            return
        cached = self._queue_cache
        if cached and time.monotonic() - cached[0] < QUEUE_STATUS_TTL:
            on_result(cached[1])
            return

        def done(answer):
            services = (answer or {}).get("services") if isinstance(answer, dict) else None
            if isinstance(services, dict):
                self._queue_cache = (time.monotonic(), services)
            on_result(services if isinstance(services, dict) else None)

        self.bridge.submit(self.transport.queue_status, done, lambda _exc: on_result(None))

    # -- ticket flow -------------------------------------------------------------------------

    def start_ticket(self, service_id: str) -> None:
        service = self.store.service(service_id)
        if service is None or not service.ticketing:
            return
        self.ticket_draft = {"service": service_id, "priority": "", "phone": None}
        self.flow_screen("priority").show(service)
        self._go("priority")

    def choose_priority(self, priority: str) -> None:
        if self.ticket_draft is None:
            return self.go_home()
        self.ticket_draft["priority"] = priority if priority in PRIORITY_KEYS else ""
        self.flow_screen("sms_offer").show()
        self._go("sms_offer")

    def sms_accept(self) -> None:
        if self.ticket_draft is None:
            return self.go_home()
        self.flow_screen("sms_phone").show()
        self._go("sms_phone")

    def sms_decline(self) -> None:
        self.issue_ticket(phone=None)

    def sms_submit(self, typed: str, consent: bool) -> str | None:
        """Validate the typed number; on success issue the ticket. Returns the error key."""
        from kiosk.domain.phones import (  # phonenumbers: on use
            DEFAULT_SMS_REGIONS,
            PhoneError,
            check_sms_region,
            normalize_phone,
        )

        if self.ticket_draft is None:
            self.go_home()
            return None
        try:
            # The server sends SMS to these countries only (settings.SMS_COUNTRIES): a number
            # it would refuse is said here, before the ticket, never a lost ticket.
            phone = check_sms_region(normalize_phone(typed), DEFAULT_SMS_REGIONS)
        except PhoneError as exc:
            return f"phone_error_{exc.code}"
        if not consent:
            return "sms_need_consent"
        self.issue_ticket(phone=phone)
        return None

    def issue_ticket(self, phone: str | None) -> None:
        draft, self.ticket_draft = self.ticket_draft, None
        if draft is None:
            return self.go_home()
        service = self.store.service(draft["service"])
        if service is None or not service.ticketing:
            return self.go_home()
        for name in TICKET_STEPS:  # the number is there: "back" never reopens these steps
            screen = self.screens.get(name)
            if screen is not None and hasattr(screen, "wipe"):
                screen.wipe()
        self.history = [h for h in self.history if h[0] not in TICKET_STEPS]
        screen = self.screens["ticket"]
        screen.pending(service.title(self.language))
        if phone:
            from kiosk.domain.phones import mask_phone

            screen.sms_to = mask_phone(phone)
        else:
            screen.sms_to = ""
        if self.root.current in TICKET_STEPS:
            self.root.current = "ticket"
        else:
            self._go("ticket")
        if self.desk is None:
            screen.failed("no server configured")
            return
        self._ticket_request += 1
        request = self._ticket_request
        language, priority = self.language, draft["priority"]
        help_reading = self.reading.take_help_flag()  # the agent learns it with the ticket
        # The ticks and the carnet go with the ticket (the kiosk keeps neither afterwards).
        documents, carnet = self.ticket_documents(service.id), self.carnet_for(service.id)
        self.forget_carnet()
        screen.documents, screen.carnet = documents, carnet
        self.ticket_requests += 1

        def ask():
            return self.desk.take_ticket(
                service.id, language, priority=priority, phone=phone, sms_consent=bool(phone),
                documents=documents, carnet=carnet, help_reading=help_reading,
            )

        def done(ticket):
            if request == self._ticket_request:
                screen.ready(ticket)
                self.print_ticket(ticket, service, documents)
                # The ticks went with the ticket: the next visitor opens a blank checklist
                # (they stayed until the idle reset).
                service_screen = self.screens.get("service")
                if service_screen is not None and service_screen.service_id == service.id:
                    service_screen.wipe()

        def error(exc):
            if request == self._ticket_request:
                screen.failed(str(exc))

        self.bridge.submit(ask, done, error)

    def open_wait_info(self) -> None:
        screen = self.screens["ticket"]
        ticket = screen.ticket
        if ticket and self.desk is not None:
            try:  # an offline ticket uploaded since: the server's answer (one SQLite read)
                ticket = self.desk.ticket_state(ticket)
            except Exception as exc:  # the kiosk's disk: keep what the screen showed
                log.warning("ticket state unavailable: %s", exc)
        # The SMS is promised only if a number was typed and the server (or the outbox,
        # offline) kept it.
        sms = bool(screen.sms_to) and bool((ticket or {}).get("sms", True))
        self.flow_screen("wait_info").show(ticket, sms=sms)
        self._go("wait_info")

    # -- printing --------------------------------------------------------------------------

    def print_ticket(self, ticket: dict, service, documents: list | None = None) -> None:
        """Print on a worker; the screen says what to do if the printer cannot."""
        printer = self.printer
        screen = self.screens["ticket"]
        if printer is None:
            screen.print_state("none", "")  # no printer at this kiosk: the QR and the screen
            return
        from kiosk.devices.printer import TicketPrint

        carnet = screen.carnet
        joined = bool(carnet and ticket.get("carnet_linked"))
        # Offline, the typed code goes unchecked with the ticket: on paper as on screen, the
        # visitor's own code and "will be linked", never a second code of the ticket's own.
        pending = bool(carnet and ticket.get("offline") and not joined)
        job = TicketPrint(
            site_name=self.site_name,  # the kiosk's config (never another mairie's name)
            number=ticket.get("number", ""),
            service_name=service.title(self.language),
            service_name_fr=service.title("fr"),
            issued_at=site_now().replace(tzinfo=None),  # the mairie's wall clock on paper
            language=self.language,
            estimate_minutes=ticket.get("estimated_wait_minutes"),
            position=ticket.get("position"),
            phone_url=ticket.get("phone_url", ""),
            offline=bool(ticket.get("offline")),
            wait=shown_from_wire(ticket),
            documents=self.printed_documents(documents or []),
            # Joined or pending: the visitor's own carnet code; else the code this ticket brings.
            carnet_code=(carnet if joined or pending else str(ticket.get("carnet_code") or "")),
            carnet_joined=joined,
            carnet_pending=pending,
        )

        def done(result):  # a kiosk.devices.printer.PrintResult
            status = str(result.status or "error")
            # Kept for the heartbeat (agents see the fleet's printers).
            self.device_faults["printer"] = "" if result.ok else f"{status}: {result.message}"
            screen.print_state("ok" if result.ok else status, result.message)

        def error(exc):
            self.device_faults["printer"] = f"error: {exc}"
            screen.print_state("error", str(exc))

        self.bridge.submit(lambda: printer.print_ticket(job), done, error)

    @property
    def device_faults(self) -> dict:
        faults = self.__dict__.get("_device_faults")
        if faults is None:
            faults = self.__dict__["_device_faults"] = {}
        return faults

    # -- read aloud ------------------------------------------------------------------------

    def screen_speech(self) -> str:
        screen = self.screens.get(self.root.current)
        speech = getattr(screen, "speech_text", None)
        if speech is not None:
            return speech()
        if self.root.current == "home":
            names = ", ".join(p.title(self.language) for p in self.store.poles())
            news = getattr(screen, "announcement", "")
            return f"{self.tr('welcome')}. {news + '. ' if news else ''}{self.tr('what_for')}. {names}."
        return ""

    def screen_audio(self) -> str:
        """The recording agents provided for what this screen shows, in the screen's
        language (content field `audio`, files in <assets>/audio/), or ""."""
        from pathlib import Path

        current = self.root.current
        screen = self.screens.get(current)
        item = None
        if current == "service":
            item = self.store.service(getattr(screen, "service_id", None) or "")
        elif current == "pole":
            item = next((p for p in self.store.poles() if p.id == screen.pole_id), None)
        elif current == "situation":
            item = self.store.situation(getattr(screen, "situation_id", None) or "")
        elif current == "carte":
            from kiosk.ui.screens.offers import CARTE_PAGE

            item = self.store.page(CARTE_PAGE)
        elif current == "offer":
            item = self.store.offer(getattr(screen, "offer_id", None) or "")
        name = (getattr(item, "audio", None) or {}).get(self.language)
        if not name:
            return ""
        from kiosk.sync.assets import audio_file

        synced = audio_file(self.store, Path(self.settings.data_dir) / "assets", name)
        if synced is not None:  # a recording agents uploaded (synced asset) first
            return str(synced)
        path = Path(self.settings.assets_dir) / "audio" / name
        return str(path) if path.is_file() else ""

    @property
    def reading(self):
        """The read-aloud state (kiosk/ui/reading.py): speaking, help asked, no-voice view."""
        reading = self.__dict__.get("_reading")
        if reading is None:
            from kiosk.ui.reading import Reading

            reading = self.__dict__["_reading"] = Reading(self)
        return reading

    def read_aloud(self) -> None:
        """Read the screen: espeak-ng where the language has a voice; for Wolof and Bambara
        the recording the content provides, else a pulsing "no voice" pictogram and a button
        to call an agent (never an answer in writing alone). Either way the visitor asked
        for help reading: their next ticket tells the agent."""
        text = self.screen_speech()
        speaker = self.speaker
        reading = self.reading
        reading.asked()
        if not text:
            log.info("read-aloud: nothing to read on %s", self.root.current)
            return
        try:
            if speaker is None:
                spoke = False
            elif speaker.available(self.language) or self.language not in RECORDED_ONLY:
                spoke = speaker.say(text, self.language)
            else:
                audio = self.screen_audio()
                spoke = bool(audio) and speaker.say_file(audio)
        except Exception as exc:  # a speech fault never breaks the screen
            log.warning("read-aloud failed: %s", exc)
            spoke = False
        if spoke:
            reading.started()
        else:  # no voice, no recording, speech off or broken: never nothing at all
            reading.no_voice()

    def show_notice(self, text: str, seconds: float = 8.0) -> None:
        """A message over the screen for a few seconds (touch it to close it)."""
        from kivy.clock import Clock
        from kivy.core.window import Window

        from kiosk.ui.widgets import Notice

        old = self.notice
        if old is not None and old.parent is not None:
            old.parent.remove_widget(old)
        notice = self.notice = Notice(text=text)
        Window.add_widget(notice)
        Clock.schedule_once(lambda _dt: notice.parent and notice.parent.remove_widget(notice),
                            seconds)

    def stop_speech(self) -> None:
        self.reading.stopped()  # before the speaker: the indicator goes with the touch
        if self.speaker is not None:
            try:
                self.speaker.stop()
            except Exception as exc:
                log.warning("stopping speech failed: %s", exc)

    # -- call an agent ---------------------------------------------------------------------

    def call_agent(self) -> None:
        screen = self.flow_screen("assist")
        if self.root.current == "assist" and screen.state in ("sending", "sent", "taken"):
            return  # one request at a time from one visitor
        # The API's body (docs/protocol.md): the language, and a short note for the agent
        # (in French, the agents' language) saying where the visitor is; nothing personal.
        context = {"language": self.language, "note": self._assistance_note()}
        screen.sending()
        self._go("assist")
        transport = self.transport
        if transport is None:
            screen.failed()
            return
        self.assistance_requests += 1
        key = str(uuid.uuid4())
        attempt = self._assist_attempt = self._assist_attempt + 1

        def ask():
            from kiosk.sync.transport import TransportError

            for tries in range(2):  # same key: a retry never calls two agents
                try:
                    return transport.request_assistance(context, key)
                except TransportError as exc:
                    if not exc.retryable or tries:
                        raise
                    time.sleep(0.5)

        def done(answer):
            if attempt == self._assist_attempt:
                screen.sent(answer if isinstance(answer, dict) else {})
                self._poll_assistance(attempt)

        def error(_exc):
            if attempt == self._assist_attempt:
                screen.failed()

        self.bridge.submit(ask, done, error)

    def _assistance_note(self) -> str:
        """'Écran : service — Déclarer une naissance' (the screen the visitor called from)."""
        current = self.root.current
        note = f"Écran : {current}"
        if current in ("service", "priority", "sms_optin", "ticket", "wait_info"):
            service = self.store.service(
                getattr(self.screens.get("service"), "service_id", None) or "")
            if service is not None:
                note += f" — {service.title('fr')}"
        return note[:200]

    def _poll_assistance(self, attempt: int) -> None:
        from kivy.clock import Clock

        screen = self.screens["assist"]
        transport = self.transport
        if transport is None or not screen.request_id:
            return

        def tick(_dt):
            if attempt != self._assist_attempt or self.root.current != "assist":
                return
            if screen.state not in ("sent", "taken"):
                return

            def done(answer):
                if attempt == self._assist_attempt and isinstance(answer, dict):
                    screen.update(answer)
                Clock.schedule_once(tick, ASSIST_POLL_SECONDS)

            self.bridge.submit(lambda: transport.assistance_status(screen.request_id), done,
                               lambda _e: Clock.schedule_once(tick, ASSIST_POLL_SECONDS))

        Clock.schedule_once(tick, ASSIST_POLL_SECONDS)

    # -- idle reset ------------------------------------------------------------------------

    def is_pristine(self) -> bool:
        """Nothing for the idle reset to do: home, default language, no mode on."""
        return (self.root.current == "home" and self.language == self.settings.language
                and not self.modes_active() and self.ticket_draft is None)

    def idle_reset(self) -> None:
        """Back home as a new visitor would find it: default language, modes off, nothing personal."""
        self.stop_speech()
        self.reading.reset()
        self._assist_attempt += 1
        self.ticket_draft = None
        self.forget_carnet()
        for screen in list(self.screens.values()):
            wipe = getattr(screen, "wipe", None)
            if wipe is not None:
                wipe()
        self.reset_modes()
        if self.language != self.settings.language:
            self.set_language(self.settings.language)
        self.go_home()
        self.screens["home"].refresh()
