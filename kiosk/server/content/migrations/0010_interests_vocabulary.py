"""Offers' interests ("envies") move to the kiosk's fixed vocabulary (kiosk/domain/content.py
INTERESTS): the free slugs used until now are mapped onto it, so that an offer saved before
the upgrade still passes the admin's check and still shows under a chip on the kiosks."""

from django.db import migrations, models

# Free slugs of the first demo content -> the vocabulary; anything else unknown is dropped
# (the offer keeps its other interests; the admin shows the checkboxes to set them again).
OLD_TO_NEW = {
    "patrimoine": "culture", "lecture": "culture", "danse": "culture", "musique": "culture",
    "spectacle": "culture", "cinema": "culture",
    "troc": "reemploi", "bricolage": "reemploi", "reparation": "reemploi",
    "jardin": "nature", "jardinage": "nature",
    "famille": "enfants",
}
KNOWN = {"culture", "sport", "nature", "alimentation", "solidarite", "rencontre", "reemploi",
         "numerique", "enfants", "citoyennete"}


def remap(apps, schema_editor):
    Offer = apps.get_model("content", "Offer")
    ContentVersion = apps.get_model("content", "ContentVersion")
    ContentChange = apps.get_model("content", "ContentChange")
    for offer in Offer.objects.exclude(interests=[]).only("pk", "site_id", "slug", "interests"):
        new = []
        for slug in offer.interests or []:
            slug = OLD_TO_NEW.get(slug, slug)
            if slug in KNOWN and slug not in new:
                new.append(slug)
        if new == offer.interests:
            continue
        Offer.objects.filter(pk=offer.pk).update(interests=new)
        # The change log, as content/services.py do_record_change writes it (the signals do
        # not run in a migration): the kiosks get the offer again at their next sync.
        version, _ = ContentVersion.objects.get_or_create(site_id=offer.site_id)
        version.seq += 1
        version.save(update_fields=["seq"])
        ContentChange.objects.create(site_id=offer.site_id, seq=version.seq, kind="offer",
                                     key=offer.slug, deleted=False)


class Migration(migrations.Migration):
    dependencies = [("content", "0009_floor_plans")]

    operations = [
        migrations.AlterField(
            model_name="offer",
            name="interests",
            field=models.JSONField(
                blank=True, default=list,
                help_text='Envies : ["nature", "culture", "solidarite"] '
                          "(vocabulaire : kiosk/domain/content.py INTERESTS)"),
        ),
        migrations.RunPython(remap, migrations.RunPython.noop),
    ]
