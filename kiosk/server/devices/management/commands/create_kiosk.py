from django.core.management.base import BaseCommand, CommandError

from kiosk.server.content.models import Site
from kiosk.server.devices.models import Kiosk


class Command(BaseCommand):
    help = "Register a kiosk for a site and print its token (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("site", help="site slug, e.g. paris-19")
        parser.add_argument("name", help="kiosk name, e.g. 'Hall d'entrée'")

    def handle(self, site, name, **options):
        try:
            site_obj = Site.objects.get(slug=site)
        except Site.DoesNotExist as exc:
            raise CommandError(f"no site {site!r}") from exc
        _, token = Kiosk.objects.register(site_obj, name)
        self.stdout.write(token)
