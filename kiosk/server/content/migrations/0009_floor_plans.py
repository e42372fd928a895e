# Written by hand (issue 5, floor plans): a site's floor plans become content agents edit,
# with an uploaded image (an Asset of the new kind "plan") and named landmarks (hotspots).
# Service.plan stays a slug: it now names one of these (a kiosk without the synced plan
# still shows the one bundled under that slug).

import django.db.models.deletion
from django.db import migrations, models

PUBLISHED_HELP = ("Décoché : un brouillon, invisible sur les bornes et les pages pour "
                  "téléphone (les bornes le suppriment à la synchronisation suivante). "
                  "Vérifiez-le avec « Aperçu borne » avant de le publier.")


class Migration(migrations.Migration):

    dependencies = [
        ("content", "0008_published"),
    ]

    operations = [
        migrations.AlterField(
            model_name="asset",
            name="kind",
            field=models.CharField(
                choices=[("pictogram", "pictogramme"), ("audio", "lecture enregistrée (WAV)"),
                         ("plan", "image d'un plan d'étage")],
                default="pictogram", max_length=10),
        ),
        migrations.AlterField(
            model_name="service",
            name="plan",
            field=models.SlugField(
                blank=True, default="",
                help_text="Plan d'étage du site (« Plans d'étage ») ; vide : pas de plan"),
        ),
        migrations.CreateModel(
            name="FloorPlan",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                           verbose_name="ID")),
                ("slug", models.SlugField(
                    help_text="Le nom que les services utilisent : « rdc », « etage1 »")),
                ("order", models.PositiveSmallIntegerField(default=0)),
                ("name", models.JSONField(default=dict)),
                ("published", models.BooleanField(default=True, help_text=PUBLISHED_HELP,
                                                  verbose_name="publié")),
                ("hotspots", models.JSONField(
                    blank=True, default=list,
                    help_text='Repères : [{"id": "accueil", "x": 0.12, "y": 0.8, "label": '
                              '{"fr": "Accueil"}, "icon": "info"}] (x, y de 0 à 1 depuis le '
                              'coin haut gauche ; icon facultatif)')),
                ("image", models.ForeignKey(
                    blank=True, null=True, limit_choices_to={"kind": "plan"},
                    on_delete=django.db.models.deletion.PROTECT, related_name="+",
                    to="content.asset",
                    help_text="Vide : les bornes montrent le plan livré avec elles sous ce nom, "
                              "s'il existe")),
                ("site", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE,
                                           related_name="plans", to="content.site")),
            ],
            options={
                "verbose_name": "plan d'étage",
                "verbose_name_plural": "plans d'étage",
                "ordering": ("site", "order", "slug"),
                "constraints": [models.UniqueConstraint(fields=("site", "slug"),
                                                        name="plan_unique_slug")],
            },
        ),
    ]
