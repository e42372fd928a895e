# Written by hand (issue 5, drafts): the draft / published switch of every kind of content
# agents edit. Existing rows (and the demo content) stay published: the column is added
# with default True. Offer's switch existed already; only its label and help change.

from django.db import migrations, models

HELP = ("Décoché : un brouillon, invisible sur les bornes et les pages pour téléphone "
        "(les bornes le suppriment à la synchronisation suivante). Vérifiez-le avec "
        "« Aperçu borne » avant de le publier.")


def published():
    return models.BooleanField(default=True, help_text=HELP, verbose_name="publié")


class Migration(migrations.Migration):

    dependencies = [
        ("content", "0007_assets"),
    ]

    operations = [
        *(migrations.AddField(model_name=model, name="published", field=published())
          for model in ("pole", "service", "situation", "nearbyplace", "infopage", "closure",
                        "announcement")),
        migrations.AlterField(model_name="offer", name="published", field=published()),
    ]
