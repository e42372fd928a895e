from django.core.management.base import BaseCommand, CommandError

from kiosk.server.content.models import Site
from kiosk.server.enrolment.services import DEFAULT_VALID_HOURS, create_code


class Command(BaseCommand):
    help = ("Create a one-time enrolment code for a new kiosk of a site and print it (shown "
            "once); deploy/kiosk/provision.sh --code spends it. Agents use the back-office.")

    def add_arguments(self, parser):
        parser.add_argument("site", help="site slug, e.g. paris-19")
        parser.add_argument("--name", default="", help="the kiosk's name (default: host name)")
        parser.add_argument("--hours", type=int, default=DEFAULT_VALID_HOURS,
                            help="validity in hours (default 24)")

    def handle(self, site, name, hours, **options):
        try:
            site_obj = Site.objects.get(slug=site)
        except Site.DoesNotExist as exc:
            raise CommandError(f"no site {site!r}") from exc
        try:
            _, clear = create_code(site_obj, None, kiosk_name=name, hours=hours)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(clear)
