"""Child-process side of tests/deploy/test_migrations.py (its own settings and database).

    python -m tests.deploy.migration_steps upgrade '<release targets as JSON>'
    python -m tests.deploy.migration_steps roundtrip

`upgrade`: a fresh database migrated to a release's migrations only, data written with that
release's models (historical models: the code of the day is gone), then `migrate` to the
latest, then the data read back with today's code, through today's pages and API.
`roundtrip`: from the latest, every project migration unapplied one by one (newest first)
down to zero, with data present, then forward again. Prints one JSON object.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

# Every app of the project (those under kiosk/server/): an earlier release lacks the newer
# ones altogether (they are then created by the upgrade, forwards only).
PROJECT_APPS = tuple(sorted(
    path.parent.parent.name
    for path in (Path(__file__).resolve().parents[2] / "kiosk" / "server").glob("*/migrations/__init__.py")))
KIOSK_TOKEN = "old-release-kiosk-token-0123456789abcdefghijkl"


def setup():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiosk.server.settings")
    import django

    django.setup()


def executor():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    return MigrationExecutor(connection)


def release_targets(release: dict[str, str]) -> list[tuple[str, str | None]]:
    """Django's own apps at their latest; project apps at the release's node, or absent."""
    graph = executor().loader.graph
    targets = [node for node in graph.leaf_nodes() if node[0] not in PROJECT_APPS]
    targets += [(app, name) for app, name in release.items()]
    return targets


def old_data(apps) -> dict:
    """Tickets and a kiosk written the way the old release wrote them."""
    from django.db.models import F
    from django.utils import timezone

    from kiosk.server.devices.models import hash_token

    Site = apps.get_model("content", "Site")
    Pole = apps.get_model("content", "Pole")
    Service = apps.get_model("content", "Service")
    Counter = apps.get_model("queueing", "Counter")
    Ticket = apps.get_model("queueing", "Ticket")
    Sequence = apps.get_model("queueing", "TicketSequence")
    Kiosk = apps.get_model("devices", "Kiosk")

    site = Site.objects.create(slug="paris-19", name="Mairie du 19e")
    pole = Pole.objects.create(site=site, slug="citoyennete", color="#1d4f91",
                               pictogram="citoyennete", name={"fr": "Citoyenneté"})
    service = Service.objects.create(site=site, pole=pole, slug="etat-civil", prefix="C",
                                     pictogram="etat-civil", name={"fr": "État civil"})
    counter = Counter.objects.create(site=site, name="Guichet 1")
    counter.services.add(service)
    kiosk = Kiosk.objects.create(site=site, name="Hall", token_hash=hash_token(KIOSK_TOKEN),
                                 token_hint=KIOSK_TOKEN[:4])
    today = timezone.localdate()
    fields = {f.name for f in Ticket._meta.get_fields()}
    extra = {"issued_service": service} if "issued_service" in fields else {}
    called = Ticket.objects.create(site=site, service=service, day=today, number=1, prefix="C",
                                   status="called", called_at=timezone.now(), counter=counter,
                                   kiosk=kiosk, language="ar", **extra)
    waiting = Ticket.objects.create(site=site, service=service, day=today, number=2,
                                    prefix="C", kiosk=kiosk, **extra)
    # What that release's code set at issue and call time (its migrations backfill the rest).
    if "drawn_at" in fields:
        Ticket.objects.filter(pk=called.pk).update(drawn_at=called.called_at)
    if "queued_at" in fields:
        Ticket.objects.update(queued_at=F("created_at"))
    Sequence.objects.create(service=service, day=today, last_number=2)
    return {"called": called.public_token, "waiting": waiting.public_token,
            "tables": sorted(m._meta.db_table for m in apps.get_models())}


def read_back(tokens: dict) -> dict:
    from django.test import Client

    from kiosk.server.queueing.issuing import do_issue_ticket
    from kiosk.server.queueing.models import Ticket

    out = {}
    for name, token in tokens.items():
        if name == "tables":
            continue
        t = Ticket.objects.select_related("issued_service", "service").get(public_token=token)
        out[name] = {
            "number": t.display, "status": t.status, "language": t.language,
            "queued_is_created": t.queued_at == t.created_at,
            "issued_service": t.issued_service.slug if t.issued_service_id else None,
            "drawn_is_called": t.drawn_at == t.called_at,
            "priority": t.priority, "phone": t.phone, "recalls": t.recalls,
            "postponed": t.postponed,
            "phone_page": Client().get(f"/t/{token}").status_code,
        }
    service = Ticket.objects.get(public_token=tokens["waiting"]).service
    new, _ = do_issue_ticket(service)
    out["next_number"] = new.display
    api = Client().get("/api/v1/content", headers={"Authorization": f"Bearer {KIOSK_TOKEN}"})
    out["old_kiosk_api"] = api.status_code
    return out


def upgrade(release: dict[str, str]) -> dict:
    targets = release_targets(release)
    ex = executor()
    ex.migrate(targets)
    ex.loader.build_graph()
    applied_before = sorted(f"{a}.{n}" for a, n in ex.loader.applied_migrations
                            if a in PROJECT_APPS)
    state = ex.loader.project_state([t for t in targets if t[1] is not None], at_end=True)
    tokens = old_data(state.apps)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return {"applied_before": applied_before, "after": read_back(tokens)}


def roundtrip() -> dict:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    ex = executor()
    graph = ex.loader.graph
    plan: list[tuple[str, str]] = []
    for leaf in sorted(graph.leaf_nodes()):
        for node in graph.forwards_plan(leaf):
            if node not in plan:
                plan.append(node)
    ours = [node for node in plan if node[0] in PROJECT_APPS]
    irreversible = []
    for app, name in ours:
        migration = ex.loader.get_migration(app, name)
        for op in migration.operations:
            if not op.reversible:
                irreversible.append(f"{app}.{name}: {op.describe()}")
    # Data in every table we can fill, so that backwards steps meet real rows.
    tokens = old_data(ex.loader.project_state(graph.leaf_nodes(), at_end=True).apps)
    steps = []
    for app, name in reversed(ours):
        ex = executor()
        previous = [p for p in ex.loader.graph.node_map[(app, name)].parents if p.key[0] == app]
        target = (app, previous[0].key[1] if previous else None)
        if (app, name) not in ex.loader.applied_migrations:
            continue  # already unapplied with a dependency
        ex.migrate([target])
        steps.append(f"{app}.{name}")
    ex = executor()
    left = sorted(f"{a}.{n}" for a, n in ex.loader.applied_migrations if a in PROJECT_APPS)
    tables_at_zero = sorted(t for t in connection.introspection.table_names()
                            if t.split("_")[0] in PROJECT_APPS)
    call_command("migrate", verbosity=0)
    after = sorted(f"{a}.{n}" for a, n in executor().loader.applied_migrations
                   if a in PROJECT_APPS)
    return {"migrations": [f"{a}.{n}" for a, n in ours], "irreversible": irreversible,
            "unapplied": steps, "left_at_zero": left, "tables_at_zero": tables_at_zero,
            "after": after, "had_data": bool(tokens)}


def interests() -> dict:
    """Offers saved with the free interest slugs of before content 0010, then migrated."""
    from django.core.management import call_command

    graph = executor().loader.graph
    # Django's apps at their latest, content at 0009 (with what it depends on); the other
    # project apps wait for the final migrate (some depend on a later content).
    targets = [n for n in graph.leaf_nodes() if n[0] not in PROJECT_APPS]
    targets.append(("content", "0009_floor_plans"))
    ex = executor()
    ex.migrate(targets)
    ex.loader.build_graph()
    apps = ex.loader.project_state(targets, at_end=True).apps
    Site = apps.get_model("content", "Site")
    Offer = apps.get_model("content", "Offer")
    site = Site.objects.create(slug="paris-19", name="Mairie du 19e")
    for slug, old in (("amap", ["alimentation", "musique", "troc", "bricolage", "xyz"]),
                      ("lecture", ["lecture", "patrimoine"]), ("deja", ["nature"]),
                      ("sans", [])):
        Offer.objects.create(site=site, slug=slug, pictogram="offer-basket",
                             title={"fr": slug}, interests=old)
    call_command("migrate", verbosity=0)
    from kiosk.server.content.models import ContentChange
    from kiosk.server.content.models import Offer as Current

    return {"interests": {o.slug: o.interests for o in Current.objects.all()},
            "changes": sorted(ContentChange.objects.filter(kind="offer")
                              .values_list("key", flat=True))}


def main(argv: list[str]) -> None:
    setup()
    if argv[0] == "interests":
        result = interests()
    elif argv[0] == "upgrade":
        result = upgrade(json.loads(argv[1]))
    elif argv[0] == "roundtrip":
        result = roundtrip()
    else:
        raise SystemExit(f"unknown step {argv[0]!r}")
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main(sys.argv[1:])
