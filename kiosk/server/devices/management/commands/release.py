"""Releases from the command line (the back-office does the same: *Versions de la borne*,
*Déploiements*): upload a bundle, choose a site's target and pilot, or one kiosk's."""

from django.core.management.base import BaseCommand, CommandError

from kiosk.server.content.models import Site
from kiosk.server.devices.models import Kiosk, Release, SiteRollout
from kiosk.server.devices.releases import ReleaseRejected, add_release


class Command(BaseCommand):
    help = "add BUNDLE | site SITE VERSION [--pilot KIOSK] | kiosk SITE KIOSK VERSION|none"

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["add", "site", "kiosk"])
        parser.add_argument("args", nargs="+")
        parser.add_argument("--pilot", help="name of the site's pilot kiosk")
        parser.add_argument("--notes", default="")

    def handle(self, *args, action, pilot=None, notes="", **options):
        if action == "add":
            try:
                with open(args[0], "rb") as fh:
                    release = add_release(fh, notes=notes)
            except (OSError, ReleaseRejected) as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(f"{release.version} {release.sha256}")
            return
        site = Site.objects.filter(slug=args[0]).first()
        if site is None:
            raise CommandError(f"no site {args[0]!r}")
        if action == "site":
            release = self._release(args[1])
            rollout = SiteRollout.objects.filter(site=site).first() or SiteRollout(site=site)
            rollout.release = release
            rollout.pilot = self._kiosk(site, pilot) if pilot else None
            rollout.full_clean()
            rollout.save()
            self.stdout.write(f"{site.slug}: {release} (pilot: {rollout.pilot or 'none'})")
            return
        kiosk = self._kiosk(site, args[1])
        kiosk.target_release = None if args[2] == "none" else self._release(args[2])
        kiosk.save(update_fields=["target_release"])
        self.stdout.write(f"{kiosk}: {kiosk.target_release or 'site rollout'}")

    def _release(self, version):
        release = Release.objects.filter(version=version).first()
        if release is None:
            raise CommandError(f"no release {version!r}")
        return release

    def _kiosk(self, site, name):
        kiosk = Kiosk.objects.filter(site=site, name=name).first()
        if kiosk is None:
            raise CommandError(f"no kiosk {name!r} at {site.slug}")
        return kiosk
