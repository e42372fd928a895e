# Phone numbers stored encrypted under a key per day (kiosk/server/queueing/phone_vault.py).

import kiosk.server.queueing.phone_vault
from django.db import migrations

OPEN = ("waiting", "called", "parked")


def seal_existing(apps, schema_editor):
    """Encrypt the numbers of open tickets (under their day's key, shredded by the next
    purge for past days) and erase those closed tickets still held. Raw SQL: the field
    class would try to decrypt the clear numbers."""
    from kiosk.server.queueing.phone_vault import seal

    table = apps.get_model("queueing", "Ticket")._meta.db_table
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, day, status, phone FROM {quote(table)} WHERE phone <> ''")
        rows = cursor.fetchall()
        for pk, day, status, phone in rows:
            if isinstance(day, str):  # SQLite hands dates back as text here
                import datetime as dt

                day = dt.date.fromisoformat(day)
            value = seal(phone, day=day) if status in OPEN else ""
            cursor.execute(f"UPDATE {quote(table)} SET phone = %s WHERE id = %s", [value, pk])


class Migration(migrations.Migration):

    dependencies = [
        ('queueing', '0008_idempotency_fingerprint'),
    ]

    operations = [
        migrations.AlterField(
            model_name='ticket',
            name='phone',
            field=kiosk.server.queueing.phone_vault.EncryptedPhoneField(blank=True, default='', max_length=200),
        ),
        migrations.RunPython(seal_existing, migrations.RunPython.noop),
    ]
