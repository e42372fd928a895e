"""The kiosk application: fullscreen Kivy app over the local store, synced in the background.

    carrefour-kiosk --config /etc/carrefour/kiosk.toml          # in the hall
    python -m kiosk.ui.app --config var/demo/kiosk/kiosk.toml --dev   # on a developer's desk

The visitor never waits on the network to see content: screens read the local SQLite
snapshot; a background thread (kiosk.sync) pushes the outbox and pulls content deltas,
and hands changes to this thread through kiosk.ui.bridge.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

# Process start, for "start to first frame": the launcher may pass its own start time.
T0 = float(os.environ.get("CARREFOUR_T0") or time.time())

from kiosk import __version__  # noqa: E402
from kiosk.config import ConfigError, KioskConfig, load_config  # noqa: E402
from kiosk.domain.languages import get_language, localized  # noqa: E402
from kiosk.localstore import LocalStore  # noqa: E402

if TYPE_CHECKING:  # the network stack (requests) is imported only when a server is configured
    from kiosk.ports import KioskStore, KioskTransport
    from kiosk.sync.engine import SyncEngine, SyncReport

log = logging.getLogger("carrefour.kiosk")
REFERENCE_HEIGHT = 800  # sizes in the .kv files are for a 1280x800 screen, scaled from there
# At stop: the longest waits for the sync thread and a ticket being printed (the whole stop
# has kiosk.ui.stopping.STOP_BUDGET s).
SYNC_JOIN_SECONDS = 1.0
PRINTER_JOIN_SECONDS = 0.8


def configure_kivy(config: KioskConfig) -> None:
    """Settings Kivy reads once, before its window exists."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_FILELOG", "1")
    # SIGTERM is a stop, not a close request a visitor could make: SDL must not turn it into
    # one (refused outside dev mode); kiosk.ui.stopping handles the signals instead.
    os.environ.setdefault("SDL_NO_SIGNAL_HANDLERS", "1")
    kivy_home = Path(os.environ.get("KIVY_HOME") or Path(config.data_dir) / "kivy")
    kivy_home.mkdir(parents=True, exist_ok=True)  # a fresh kiosk has no data dir yet
    os.environ["KIVY_HOME"] = str(kivy_home)
    from kivy.config import Config

    dev = config.dev_mode
    if not dev:
        # Kivy leaves the root logger at NOTSET with its console handler on it: every HTTP
        # request of the sync (urllib3's DEBUG lines, a few a minute all day) reached the
        # journal. A developer's window keeps them.
        logging.getLogger("urllib3").setLevel(logging.INFO)
    Config.set("kivy", "exit_on_escape", "1" if dev else "0")
    Config.set("kivy", "pause_on_minimize", "0")
    Config.set("graphics", "fullscreen", "auto" if config.fullscreen else "0")
    Config.set("graphics", "borderless", "1" if config.fullscreen else "0")
    Config.set("graphics", "width", str(config.width))
    Config.set("graphics", "height", str(config.height))
    Config.set("graphics", "show_cursor", "1" if dev else "0")
    Config.set("graphics", "resizable", "1" if dev else "0")
    Config.set("graphics", "multisamples", str(config.multisamples))
    # A touchscreen is one input device: no emulated multitouch red dots from the mouse.
    Config.set("input", "mouse", "mouse,disable_multitouch")


# The printer states of the heartbeat (POST /api/v1/heartbeat), as kiosk.devices.printer
# reports them; the wire's limits (longer is refused by the server, so it is cut here).
PRINTER_STATES = ("ok", "absent", "paper_out", "error")
DETAIL_MAX, ERROR_MAX = 200, 300


def printer_heartbeat(printer_configured: bool, fault: str | None) -> dict:
    """The heartbeat's printer from the fault text kiosk.ui.flows keeps after each print:
    "" = printed fine, "<status>: <message>" otherwise (status: absent, paper_out, error)."""
    if not printer_configured:
        return {"state": "unknown", "detail": ""}
    if not fault:
        return {"state": "ok", "detail": ""}
    status, sep, message = fault.partition(":")
    state = status.strip() if sep else ""
    if state not in PRINTER_STATES:
        state, message = "error", fault
    return {"state": state, "detail": message.strip()[:DETAIL_MAX]}


def _kivy_app_base():
    from kivy.app import App

    return App


def build_app_class():
    """The App subclass, built after configure_kivy() so Kivy's config is already set."""
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.properties import BooleanProperty, StringProperty
    from kivy.uix.screenmanager import NoTransition, ScreenManager

    from kiosk.ui import theme
    from kiosk.ui.bridge import Bridge
    from kiosk.ui.flows import FlowsMixin
    from kiosk.ui.modes import KioskModes
    from kiosk.ui.widgets import draw_stale_labels

    App = _kivy_app_base()

    # KioskModes: app.tr, app.sp, app.palette and the accessibility modes (kiosk/ui/modes.py).
    # FlowsMixin: the visitor journeys, read-aloud, call an agent, idle reset (kiosk/ui/flows.py).
    class KioskApp(FlowsMixin, KioskModes, App):
        language = StringProperty("fr")
        font = StringProperty("Roboto")
        rtl = BooleanProperty(False)
        site_name = StringProperty("")
        status_text = StringProperty("")
        online = BooleanProperty(False)
        first_frame_seconds = None
        stop_requested: float | None = None  # time.monotonic() of SIGTERM/SIGINT (stopping.py)
        _released = False  # on_stop has run

        def __init__(
            self,
            settings: KioskConfig,
            store: KioskStore,
            transport: KioskTransport | None = None,
            start_sync: bool = True,
            exit_after_screenshot: bool = False,
            exit_after_first_frame: bool = False,
            **kwargs,
        ):
            super().__init__(**kwargs)
            self.title = "Carrefour"
            self.settings = settings
            self.site_name = settings.site_name
            self.store = store
            self.transport = transport
            # Offline tickets from the store's leases when the server is unreachable; a
            # queued one wakes the sync engine (running once _start_sync has run).
            self.desk = None
            self.engine: SyncEngine | None = None  # once _start_sync has run
            self.device_config_path: str | Path | None = None  # make_app sets it
            if transport is not None:
                from kiosk.sync.desk import TicketDesk

                self.desk = TicketDesk(transport, store=store, on_queued=self._wake_sync)
            self.start_sync = start_sync
            self.exit_after_screenshot = exit_after_screenshot
            self.exit_after_first_frame = exit_after_first_frame
            self.bridge = Bridge()
            self.history: list[tuple[str, str | None]] = []
            # Remote updates (kiosk/sync/updater.py; main() sets it when [updates] is on):
            # told of the first frame and of each heartbeat answer; switches only while
            # `ui_quiet` (the home screen) and exits with `exit_code` for systemd.
            self.updater = None
            self.ui_quiet = True
            self.exit_code = 0
            self.sync_reports = 0
            self._sync_stop = threading.Event()
            self._sync_thread: threading.Thread | None = None
            self._ticket_request = 0
            self._fonts: dict[str, str] = {}
            self.scale = max(0.5, settings.height / REFERENCE_HEIGHT)
            self.init_modes()
            self.set_language(settings.language)

        # -- helpers for the .kv files -------------------------------------------------

        def localized(self, texts) -> str:
            return localized(texts, self.language)

        def pictogram(self, slug: str) -> str:
            # The pictogram agents uploaded (synced asset) first, else the bundled one.
            from kiosk.sync.assets import pictogram_file

            return pictogram_file(self.store, Path(self.settings.data_dir) / "assets",
                                  self.settings.assets_dir, slug)

        def set_language(self, code: str) -> None:
            language = get_language(code)
            if not self._fonts:
                self._fonts = theme.register_fonts()
            self.language = language.code
            self.rtl = language.rtl
            self.font = self._fonts.get(language.code, "Roboto")

        # -- life cycle ----------------------------------------------------------------

        def build(self):
            from kiosk.ui.flows import ScreenRegistry
            from kiosk.ui.screens.home import HomeScreen

            Window.clearcolor = theme.hex_to_rgba(theme.BACKGROUND)
            Window.bind(on_request_close=self._on_request_close, on_keyboard=self._on_keyboard)
            root = ScreenManager(transition=NoTransition())
            root.bind(current=self._on_screen)
            root.bind(current_screen=lambda _root, screen: draw_stale_labels(screen))
            # Only home is built before the first frame; every other screen on first use.
            self.screens = ScreenRegistry(self)
            self.screens["home"] = HomeScreen()
            root.add_widget(self.screens["home"])
            return root

        def on_start(self):
            from kiosk.ui.idle import IdleWatcher

            self.refresh_content()
            self.idle = IdleWatcher(self, self.settings.idle_timeout, self.settings.idle_warning,
                                    on_touch=self.stop_speech)
            self.idle.start()
            Window.bind(on_flip=self._on_first_flip)
            if self.transport is None:
                self.status_text = self._offline_text()
            if self.settings.screenshot_path:
                self._screenshot_when_ready(started=time.monotonic())

        def _start_devices(self) -> None:
            from kiosk.ui.device_hooks import setup_devices

            try:
                setup_devices(self, self.device_config_path)
            except Exception as exc:  # a device mistake must not leave the hall without a kiosk
                log.error("devices not started: %s", exc)
                self.device_faults["devices"] = str(exc)

        def on_stop(self):
            """Every way out (SIGTERM, the agents' exit, dev mode's close) ends the sync thread
            (a request in flight is not waited for: its row stays in the outbox, sent again
            with its key), speech and the printer's job. The store is closed (WAL checkpointed)
            by main() once Kivy's loop has ended: callbacks of this last frame may still read it.
            Kivy may dispatch on_stop twice (App.stop, then the end of App.run): once is enough."""
            if self._released:
                return
            self._released = True
            self._sync_stop.set()
            self._wake_sync()
            if self._sync_thread is not None:
                self._sync_thread.join(timeout=SYNC_JOIN_SECONDS)
                if self._sync_thread.is_alive():
                    log.warning("sync thread still in a request at stop: not waited for")
            self.bridge.shutdown()
            try:
                if self.speaker is not None:
                    self.speaker.stop()
                if self.printer is not None and not self.printer.close(PRINTER_JOIN_SECONDS):
                    log.warning("a ticket was still printing at stop")
            except Exception:  # a device must not keep the kiosk from stopping
                log.exception("releasing the devices failed")
            if self.stop_requested is not None:
                log.info("stop: sync and devices released %.2f s after the signal",
                         time.monotonic() - self.stop_requested)

        def show_maintenance(self) -> None:
            """The 'back soon' screen, over whatever the visitor was doing (dialogs closed)."""
            from kivy.uix.modalview import ModalView

            from kiosk.ui.screens.maintenance import MaintenanceScreen

            for widget in list(Window.children):
                if isinstance(widget, ModalView):
                    widget.dismiss(animation=False)
            screen = self.screens.get("maintenance")
            if screen is None:
                screen = self.screens["maintenance"] = MaintenanceScreen()
                self.root.add_widget(screen)
            screen.show()
            self.history.clear()
            self.root.current = "maintenance"

        def _on_screen(self, _root, current) -> None:
            self.ui_quiet = current == "home"
            if self.ui_quiet and self.updater is not None:
                self.updater.maybe_switch()  # a release waiting for a quiet moment

        def update_quiet(self) -> bool:
            """Sync thread: nobody mid-journey and nothing left to send."""
            from kiosk.domain.updates import is_quiet

            return is_quiet(on_home=self.ui_quiet, journey_active=False,
                            outbox_depth=self.store.outbox_depth())

        def restart_for_update(self) -> None:
            from kiosk.sync.updater import EXIT_UPDATE

            self.exit_code = EXIT_UPDATE
            self.stop()

        def _on_first_flip(self, *_):
            Window.unbind(on_flip=self._on_first_flip)
            self.first_frame_seconds = time.time() - T0
            if self.updater is not None:
                self.updater.first_frame()
            print(f"carrefour-kiosk: first frame after {self.first_frame_seconds:.3f} s", flush=True)
            if self.exit_after_first_frame:
                self.stop()
                return
            # The visitor sees the home screen first; then the devices (printer, speech,
            # watchdog, agent exit) and the sync thread, which would compete with the first
            # frame for the CPU.
            self._start_devices()
            if self.start_sync and self.transport is not None:
                self._start_sync()

        def _on_request_close(self, *_args, **_kwargs):
            # True = refuse: a visitor cannot close the kiosk; developers can, and a stop
            # already under way (SIGTERM: kiosk.ui.stopping) goes on.
            return not (self.settings.dev_mode or self.stop_requested is not None)

        def _on_keyboard(self, _window, key, *_args):
            if key == 27 and not self.settings.dev_mode:
                return True  # Escape swallowed outside dev mode
            return False

        # -- content and sync ----------------------------------------------------------

        def _start_sync(self) -> None:
            from kiosk.sync.engine import SyncEngine

            engine = SyncEngine(
                self.store,
                self.transport,  # type: ignore[arg-type]  # set: checked before _start_sync
                on_content_changed=self.bridge.to_main(self.refresh_content),
                on_status=self.bridge.to_main(self.on_sync_status),
                heartbeat=self.heartbeat_payload,
                on_heartbeat=self.updater.on_heartbeat_answer if self.updater else None,
                lease_size=10,  # leased numbers per service, for offline tickets
            )
            self.engine = engine
            self._sync_thread = threading.Thread(
                target=engine.run,
                args=(self._sync_stop, self.settings.sync_interval),
                name="kiosk-sync",
                daemon=True,
            )
            self._sync_thread.start()

        def _wake_sync(self) -> None:
            if self.engine is not None:
                self.engine.wake()

        def heartbeat_payload(self, report: SyncReport) -> dict:
            """What the kiosk tells the server about itself (agents' fleet page). Runs on the
            sync thread: plain attributes and the store only, no widget."""
            error = report.error
            return {
                "version": __version__,
                "cursor": self.store.content_cursor(),
                "outbox_depth": self.store.outbox_depth(),
                "printer": printer_heartbeat(self.printer is not None,
                                             self.device_faults.get("printer")),
                "last_error": error[:ERROR_MAX] if error else None,
                **(self.updater.heartbeat_fields() if self.updater is not None else {}),
            }

        content_generation = 0  # +1 at every content change (screens' caches key on it)

        def refresh_content(self) -> None:
            self.content_generation += 1
            self.screens["home"].refresh()
            current = self.root.current
            if current == "pole" and not self.screens["pole"].show(self.screens["pole"].pole_id):
                self.go_home()
            elif current == "service" and not self.screens["service"].show(
                self.screens["service"].service_id
            ):
                self.go_home()
            self.refresh_flows()

        def on_sync_status(self, report: SyncReport) -> None:
            self.sync_reports += 1
            self.online = report.online
            if report.online:
                self.store.set_meta("last_sync_at", dt.datetime.now().isoformat(timespec="minutes"))
                self.status_text = ""
            else:
                self.status_text = self._offline_text()

        def _offline_text(self) -> str:
            stamp = self.store.get_meta("last_sync_at")
            if not stamp:
                return self.tr("offline_never")
            when = dt.datetime.fromisoformat(stamp).strftime("%d/%m %H:%M")
            return self.tr("offline", when=when)

        # -- navigation ----------------------------------------------------------------

        def _go(self, name: str) -> None:
            self.history.append((self.root.current, None))
            self.root.current = name

        def open_pole(self, pole_id: str) -> None:
            if self.screens["pole"].show(pole_id):
                self._go("pole")

        def open_service(self, service_id: str) -> None:
            if self.screens["service"].show(service_id):
                self._go("service")

        def go_back(self) -> None:
            if self.history:
                self.root.current = self.history.pop()[0]
            else:
                self.go_home()

        def go_home(self) -> None:
            self.history.clear()
            self._ticket_request += 1  # a ticket answer arriving after this is not shown
            self.root.current = "home"

        # -- screenshots ---------------------------------------------------------------

        def _screenshot_when_ready(self, started: float) -> None:
            """Once the first sync answered (or after 8 s without a server), save the screen."""
            if self.sync_reports == 0 and self.transport is not None and time.monotonic() - started < 8:
                Clock.schedule_once(lambda _dt: self._screenshot_when_ready(started), 0.2)
                return
            Clock.schedule_once(lambda _dt: self.save_screenshot(self.settings.screenshot_path), 0.5)

        def save_screenshot(self, path: str) -> str:
            target = Path(path).resolve()
            target.parent.mkdir(parents=True, exist_ok=True)
            saved = Window.screenshot(name=str(target.with_name(target.stem + "-tmp.png")))
            os.replace(saved, target)
            print(f"carrefour-kiosk: screenshot saved to {target}", flush=True)
            if self.exit_after_screenshot:
                self.stop()
            return str(target)

    return KioskApp


def make_app(config: KioskConfig, start_sync: bool = True, device_config: str | Path | None = None,
             **options):
    """The kiosk app over its local store; `options` are KioskApp's exit_after_* flags.
    `device_config`: the TOML whose [printer]/[speech]/[watchdog]/[agent_exit] sections apply."""
    configure_kivy(config)
    KioskApp = build_app_class()
    store = LocalStore(config.store_path)
    transport = None
    if config.token:
        from kiosk.sync.transport import Transport

        transport = Transport(config.server_url, config.token, timeout=config.request_timeout)
    app = KioskApp(config, store, transport, start_sync=start_sync, **options)
    app.device_config_path = device_config
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="carrefour-kiosk", description="The Carrefour lobby kiosk.")
    parser.add_argument("--config", help="kiosk TOML file (see config/kiosk.example.toml)")
    parser.add_argument("--dev", action="store_true", help="windowed; Escape and close allowed")
    parser.add_argument("--screenshot", help="save the home screen to this PNG once content is shown")
    parser.add_argument("--exit-after-screenshot", action="store_true", help="quit once it is saved")
    parser.add_argument("--exit-after-first-frame", action="store_true",
                        help="quit once the first frame is drawn (start-up benchmark)")
    args = parser.parse_args(argv)
    overrides = {"screenshot_path": args.screenshot}
    if args.dev:
        overrides.update(dev_mode=True, fullscreen=False)
    try:
        config = load_config(args.config, **overrides)
    except ConfigError as exc:
        print(f"carrefour-kiosk: {exc}", file=sys.stderr)
        return 2
    if not config.token:
        print("carrefour-kiosk: no kiosk token configured: showing the last synced content only",
              file=sys.stderr)
    app = make_app(config, device_config=args.config,
                   exit_after_screenshot=args.exit_after_screenshot,
                   exit_after_first_frame=args.exit_after_first_frame)
    _start_updater(app, args.config)
    from kiosk.ui import stopping

    stopping.install_stop_signals(app)
    try:
        app.run()
    finally:
        app.store.close()
    if app.stop_requested is not None:
        print(f"carrefour-kiosk: stopped cleanly in {time.monotonic() - app.stop_requested:.2f} s",
              flush=True)
        busy = stopping.busy_threads()
        if busy:  # e.g. a ticket request in flight: its ticket is in the outbox already
            log.warning("not waiting for %s at exit", ", ".join(busy))
        # Everything is saved and closed: the interpreter's teardown (Kivy's GL objects,
        # threads in a network call) would only add to the time systemd counts.
        stopping.finish_exit()
    return app.exit_code


def _start_updater(app, config_path: str | None) -> None:
    """[updates] on and running from a releases root: follow the server's target version;
    a version on probation must show its first frame and heartbeat in time."""
    from kiosk.sync.updater import load_update_config, make_updater

    try:
        app.updater = make_updater(
            load_update_config(config_path), __version__, app.settings.server_url,
            app.settings.token, quiet=app.update_quiet,
            restart=app.bridge.to_main(app.restart_for_update))
    except (OSError, ValueError) as exc:  # a config mistake must not keep the hall dark
        log.error("updates off: %s", exc)
        return
    if app.updater is not None:
        app.updater.start()


if __name__ == "__main__":
    sys.exit(main())
