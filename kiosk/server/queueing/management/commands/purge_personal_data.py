"""End-of-day backstop (a systemd timer at night): expire yesterday's open tickets and
erase every phone number left on a closed ticket, destroy the past days' phone keys."""

from django.core.management.base import BaseCommand

from kiosk.server.appointments.noshows import mark_no_shows
from kiosk.server.carnet.services import purge_carnets
from kiosk.server.content.contributions import purge_contacts
from kiosk.server.queueing.counter_actions import do_close_counters_overnight
from kiosk.server.queueing.privacy import do_purge_personal_data
from kiosk.server.voice.services import purge_remarks


class Command(BaseCommand):
    help = "Erase the phone numbers of closed tickets and close the tickets of past days."

    def handle(self, *args, **options):
        counts = do_purge_personal_data()
        purge_contacts()  # residents' contacts on rejected or ended offers
        closed = do_close_counters_overnight()
        carnets = purge_carnets()  # unused for CARNET_RETENTION_DAYS (docs/privacy.md)
        remarks = purge_remarks()  # visitors' texts, VOICE_COMMENT_RETENTION_DAYS
        # The day's appointments nobody came for (carrefour-no-shows.timer marks them in
        # the day; this catches a day the timer missed).
        no_shows = mark_no_shows()
        self.stdout.write(f"purge: {counts['expired']} stale tickets closed, "
                          f"{counts['erased']} phone numbers erased, "
                          f"{counts['keys_shredded']} past days' phone keys destroyed, "
                          f"{closed} counters left open closed, "
                          f"{carnets['carnets']} expired carnets and "
                          f"{carnets['procedures']} carnet procedures erased, "
                          f"{remarks} visitors' comments and questions erased, "
                          f"{no_shows} appointments marked absent")
