"""Nightly (deploy/server/carrefour-purge.service): delete the pictograms and recordings no
content names any more, and the stored files no asset holds (kiosk/server/content/orphans.py).

    python -m kiosk.server purge_assets [--dry-run] [--grace-days 7]
"""

import datetime as dt

from django.core.management.base import BaseCommand

from kiosk.server.content.orphans import GRACE, purge_assets


class Command(BaseCommand):
    help = ("Delete Asset rows no content refers to and asset files no Asset holds, older "
            "than the grace period.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true",
                            help="list what would be deleted; delete nothing")
        parser.add_argument("--grace-days", type=int, default=GRACE.days,
                            help=f"keep anything younger than this (default {GRACE.days})")

    def handle(self, *args, dry_run=False, grace_days=GRACE.days, **options):
        if grace_days < 1:
            self.stderr.write("--grace-days must be at least 1: a kiosk mid-sync needs its files")
            raise SystemExit(2)
        report = purge_assets(dry_run=dry_run, grace=dt.timedelta(days=grace_days))
        verb = "would delete" if dry_run else "deleted"
        for asset in report.rows:
            self.stdout.write(f"{verb} asset {asset.site.slug}/{asset.slug} ({asset.kind}, "
                              f"{asset.sha256[:12]}…)")
        for path, size in report.blobs:
            self.stdout.write(f"{verb} file {path.name} ({size} bytes)")
        self.stdout.write(
            f"purge_assets{' (dry run)' if dry_run else ''}: {len(report.rows)} asset rows, "
            f"{len(report.blobs)} files {verb}, {report.bytes_freed} bytes "
            f"{'to free' if dry_run else 'freed'}")
