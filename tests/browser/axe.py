"""axe-core (WCAG 2.1 A and AA rules, the copy bundled by axe-playwright-python: no download
at test time) on a page as it is: one line per violation, naming its rule, its impact and
the first elements it found."""

from __future__ import annotations

WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
        "resultTypes": ["violations"]}
_AXE = None


def violations(page) -> list[str]:
    global _AXE
    if _AXE is None:
        from axe_playwright_python.sync_playwright import Axe

        _AXE = Axe()
    page.wait_for_load_state("load")
    results = _AXE.run(page, options=WCAG)
    lines = []
    for violation in results.response["violations"]:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"][:4]]
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} "
                     f"-> {targets}")
    return lines
