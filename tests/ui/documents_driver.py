"""A driver scenario for the documents checklist (tests/ui/test_documents_rows.py).

    python -m tests.ui.documents_driver documents --config kiosk.toml --out r.json --shots DIR
        --param lang=ar --param service=naissance --param situation=naissance-enfant

The same driver as tests/ui/driver.py (its helpers and main), with one more scenario.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.ui import driver
from tests.ui.driver import find, on_screen, params, settle, shot, tap, wait_until


def _rows(container) -> list[dict]:
    rows = container.children[::-1]  # Kivy lists children last-added first
    return [{"tid": row.tid, "text": row.text, "image": Path(row.image).name if row.image else "",
             "image_exists": bool(row.image) and Path(row.image).is_file(),
             "mirrored": row.mirrored,
             # the pictogram's tile sits between the box and the words, on the reading side
             "image_x": row.children[1].x, "words_x": row.ids.words.x} for row in rows]


async def scenario_documents(app, args, result):
    """In the language asked: the service's checklist rows (pictogram, words), one tick,
    the ticks as a ticket carries them; then the life situation's rows."""
    p = params(args)
    lang = p.get("lang", "fr")
    await wait_until(lambda: find(app, "lang-fr"), what="home")
    if lang != app.language:
        # the home's language row (Wolof and Bambara sit behind its "more" page: the
        # language tests walk that), else straight to the language
        if lang in ("fr", "en", "ar", "zh"):
            await tap(app, f"lang-{lang}")
        else:
            app.set_language(lang)
        await wait_until(lambda: app.language == lang, what=f"language {lang}")
    app.open_service(p["service"])
    await on_screen(app, "service")
    service = app.screens["service"]
    await wait_until(lambda: find(app, "doc-0"), what="checklist")
    service.ids.scroll.scroll_to(find(app, "doc-0"), animate=False)  # below the plan
    await settle()
    result["service_rows"] = _rows(service.ids.documents)
    service.ids.scroll.scroll_to(find(app, "doc-1"), animate=False)
    await settle()
    await tap(app, "doc-1")
    await wait_until(lambda: find(app, "doc-1").checked, what="doc-1 ticked")
    result["ticks"] = service.checklist_ticks()
    await shot(app, args.shots, f"documents-service-{lang}", result)
    app.open_situation(p["situation"])
    await on_screen(app, "situation")
    await settle()
    result["situation_rows"] = _rows(app.screens["situation"].ids.documents)
    await shot(app, args.shots, f"documents-situation-{lang}", result)


driver.SCENARIOS["documents"] = scenario_documents

if __name__ == "__main__":
    sys.exit(driver.main())
