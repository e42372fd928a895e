"""The `demo` fixture's content, loaded once per test process and then written back as rows.

Loading the 19e demo and the second site through the product's own code (load_demo's
`load`: full_clean, the change log, a save per item) takes about 0.5 s of CPU, and several
hundred tests ask for it, in every suite. The first load of a process runs that code and
keeps what it wrote: every row it added, table by table, in the order it inserted them.
Later tests get the same rows written back with bulk inserts (their own primary keys, the
sequences moved past them) and the plans' image files put back if a test removed them.

The rows are only written back when the result is certain to be the one a load would give:
- the capturing load only added rows (it changed or deleted none that were there before);
- every table it wrote to holds exactly what it held before that load (count and highest
  key): nothing a test created first can clash with, or change what the load would do;
- the clock is the real one: a test that moves `timezone.now` before the demo is loaded gets
  a real load, whose rows carry the test's time.
Otherwise the fixture loads for real, as before. tests/test_demo_rows.py compares the two.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from django.apps import apps
from django.db import connection, models
from django.utils import timezone

# The clock at import (tests/conftest.py imports this module before any test runs): a test
# that patches it gets a real load.
REAL_NOW = timezone.now


@dataclass
class Captured:
    before: dict[type[models.Model], tuple[int, object]]  # table state the rows fit on
    rows: list[tuple[type[models.Model], list[dict]]] = field(default_factory=list)
    blobs: list[tuple[bytes, str]] = field(default_factory=list)  # plans' image files


_captured: Captured | None = None
_refused = False  # the load changed rows it did not add: always load for real
written_back = 0  # how many times the rows stood for a load (tests/test_demo_rows.py)
_INSERT = re.compile(r'^\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+"?(\w+)"?', re.IGNORECASE)


def _tables() -> list[type[models.Model]]:
    existing = set(connection.introspection.table_names())
    return [m for m in apps.get_models(include_auto_created=True)
            if m._meta.managed and not m._meta.proxy and m._meta.db_table in existing]


def _state(model: type[models.Model]) -> tuple[int, object]:
    manager = model._base_manager
    return manager.count(), manager.aggregate(top=models.Max("pk"))["top"]


def _values(model: type[models.Model]) -> dict[object, dict]:
    names = [f.attname for f in model._meta.concrete_fields]
    return {row["pk_"]: {n: row[n] for n in names}
            for row in model._base_manager.values(*names, pk_=models.F("pk"))}


def load_demo(load: Callable[[], None]) -> None:
    """Load the demo: `load()` (the real thing) the first time, or when the rows cannot
    stand for it; else the rows that first load added."""
    global _captured, written_back
    if timezone.now is not REAL_NOW or _refused:
        load()
        return
    if _captured is not None and _fits(_captured):
        _write_back(_captured)
        written_back += 1
        return
    if _captured is not None:  # this test's database differs from the captured one
        load()
        return
    _captured = _capture(load)


def _capture(load: Callable[[], None]) -> Captured | None:
    global _refused
    tables = _tables()
    before = {m: _values(m) for m in tables}
    order: list[str] = []

    def note(execute, sql, params, many, context):
        match = _INSERT.match(sql)
        if match and match.group(1) not in order:
            order.append(match.group(1))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(note):
        load()
    by_table = {m._meta.db_table: m for m in tables}
    captured = Captured(before={})
    after = {m: _values(m) for m in tables}
    if any(pk not in after[m] or after[m][pk] != row
           for m in tables for pk, row in before[m].items()):
        _refused = True  # it changed or removed rows: only a real load will do
        return None
    added = {m: [row for pk, row in after[m].items() if pk not in before[m]] for m in tables}
    written = [by_table[t] for t in order if t in by_table]
    if any(rows and model not in written for model, rows in added.items()):
        _refused = True  # rows added by a statement not seen as an insert: order unknown
        return None
    for model in written:
        old = before[model]
        captured.before[model] = (len(old), max(old, default=None))
        captured.rows.append((model, added[model]))
    from kiosk.server.content.assets import assets_dir
    from kiosk.server.content.models import Asset

    key = Asset._meta.pk.attname
    for asset in Asset.objects.filter(pk__in=[row[key] for model, added in captured.rows
                                              if model is Asset for row in added]):
        path = next(assets_dir().glob(f"{asset.sha256}.*"), None)
        if path is not None:
            captured.blobs.append((path.read_bytes(), asset.content_type))
    return captured


def _fits(captured: Captured) -> bool:
    return all(_state(model) == state for model, state in captured.before.items())


def _write_back(captured: Captured) -> None:
    from kiosk.server.content.assets import store_blob

    for model, rows in captured.rows:
        model._base_manager.bulk_create([model(**row) for row in rows])
    with connection.cursor() as cursor:  # the next ORM insert takes the next key
        for sql in connection.ops.sequence_reset_sql(
                _style(), [model for model, _ in captured.rows]):
            cursor.execute(sql)
    for data, content_type in captured.blobs:
        store_blob(data, content_type)  # once: a test may have purged the file


def _style():
    from django.core.management.color import no_style

    return no_style()
