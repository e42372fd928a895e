"""Call an agent: the request leaves at once; the visitor sees "an agent is coming" and the
agent's name once someone takes it; without a server, they are sent to the reception desk."""

from __future__ import annotations

from kivy.properties import OptionProperty, StringProperty

from kiosk.ui.screens.base import KioskScreen, load_kv

load_kv(__file__)


class AssistScreen(KioskScreen):
    state = OptionProperty("idle", options=["idle", "sending", "sent", "taken", "done", "failed"])
    request_id = StringProperty("")

    def sending(self) -> None:
        self.state = "sending"
        self.request_id = ""
        self.ids.title.text = self.app.tr("assist_title")
        self.ids.detail.text = self.app.tr("assist_sending")

    def sent(self, answer: dict) -> None:
        self.request_id = str(answer.get("id") or "")
        self.state = "sent"
        self.update(answer)

    def update(self, answer: dict) -> None:
        app = self.app
        status = str(answer.get("status") or "")
        agent = answer.get("agent") or answer.get("agent_name") or answer.get("taken_by")
        if status in ("handled", "taken", "accepted", "assigned") or (agent and status != "done"):
            self.state = "taken"
            self.ids.detail.text = app.tr("assist_taken", agent=agent or app.tr("assist_someone"))
        elif status in ("done", "closed", "resolved"):
            self.state = "done"
            self.ids.detail.text = app.tr("assist_sent")
        elif status in ("cancelled", "expired"):  # nobody answered in time: the desk, then
            self.failed()
        else:
            self.ids.detail.text = app.tr("assist_sent")

    def failed(self) -> None:
        self.state = "failed"
        self.ids.title.text = self.app.tr("call_agent")
        self.ids.detail.text = self.app.tr("assist_failed")

    def wipe(self) -> None:
        self.state = "idle"
        self.request_id = ""

    def speech_text(self) -> str:
        return ". ".join(t for t in (self.ids.title.text, self.ids.detail.text) if t)
