import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('content', '0005_offer_moderation'),
        ('queueing', '0004_offline_tickets'),
    ]

    operations = [
        migrations.CreateModel(
            name='QueueVersion',
            fields=[
                ('site', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='queue_version', serialize=False, to='content.site')),
                ('version', models.BigIntegerField(default=0)),
            ],
        ),
    ]
