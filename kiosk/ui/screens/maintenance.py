"""The 'back soon' screen: shown while the kiosk stops (systemd stop, an upgrade, the nightly
restart), so the visitor in front of it sees why it stops rather than a screen frozen
mid-journey. It has no button: nothing to do but wait or ask at the reception."""

from __future__ import annotations

from kiosk.ui.screens.base import KioskScreen, load_kv

load_kv(__file__, journeys=False)  # built at stop time: only the base widgets, nothing to compile


class MaintenanceScreen(KioskScreen):
    def show(self) -> None:
        app = self.app
        self.ids.title.text = app.tr("maintenance_title")
        self.ids.detail.text = app.tr("maintenance_back_soon")
        # A visitor who does not read the chosen language still gets the French words.
        if app.language != "fr":
            from kiosk.ui.i18n import translate

            self.ids.french.text = (f"{translate('maintenance_title', 'fr')}\n"
                                    f"{translate('maintenance_back_soon', 'fr')}")
        else:
            self.ids.french.text = ""
