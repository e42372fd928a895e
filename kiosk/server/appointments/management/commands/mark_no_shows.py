"""`python -m kiosk.server mark_no_shows`: appointments not checked in by their start + the
grace become no-shows (carrefour-no-shows.timer in the day; the nightly purge also runs it)."""

from django.core.management.base import BaseCommand

from kiosk.server.appointments.noshows import mark_no_shows


class Command(BaseCommand):
    help = "Mark as no-show the appointments not checked in by their start + the grace."

    def handle(self, *args, **options):
        self.stdout.write(f"no-shows: {mark_no_shows()} appointments marked absent")
