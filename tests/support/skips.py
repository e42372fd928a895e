"""The skip report of `make test`: every skip of every suite, with its reason, checked
against the allow-list of tests/README.md ("Allowed skips" table).

    python -m tests.support.skips tests/README.md sqlite=run/sqlite.xml postgres=run/pg.xml ...

Reads the suites' JUnit XML files (pytest --junitxml), prints "N skipped" and each reason
with its tests, and exits 1 when a reason is not allowed for its suite: a missing Kannel,
espeak-ng, nginx or pg_dump fails the run instead of turning its tests into skips.
"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROW = re.compile(r"^\|\s*(?P<suites>[^|]+?)\s*\|\s*`(?P<pattern>[^`]+)`\s*\|")


def allowed(readme: Path) -> list[tuple[set[str], re.Pattern]]:
    """(suites, reason pattern) for each row of the "Allowed skips" table; "*": any suite."""
    rows, inside = [], False
    for line in readme.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            inside = line.strip().lower() == "## allowed skips"
            continue
        match = ROW.match(line) if inside else None
        if match:
            suites = {s.strip() for s in match["suites"].split(",")}
            rows.append((suites, re.compile(match["pattern"])))
    return rows


def skips(junit: Path) -> list[tuple[str, str]]:
    """(test id, reason) of every skipped test case in a JUnit XML file."""
    found = []
    for case in ET.parse(junit).iter("testcase"):
        for skipped in case.findall("skipped"):
            test = f"{case.get('classname', '')}::{case.get('name', '')}"
            reason = skipped.get("message") or (skipped.text or "").strip()
            found.append((test, reason.removeprefix("Skipped: ")))
    return found


def main(argv: list[str]) -> int:
    readme, *suites = argv
    rules = allowed(Path(readme))
    if not rules:
        print(f"no allowed skips found in {readme}", file=sys.stderr)
    total, refused = 0, []
    by_reason: dict[tuple[str, str], list[str]] = defaultdict(list)
    for arg in suites:
        suite, _, path = arg.partition("=")
        if not Path(path).exists():
            print(f"  {suite}: no report ({path}): the suite did not run to its end")
            continue
        for test, reason in skips(Path(path)):
            by_reason[(suite, reason)].append(test)
            total += 1
    print(f"{total} skipped")
    for (suite, reason), tests in sorted(by_reason.items()):
        ok = any(("*" in names or suite in names) and rule.search(reason) for names, rule in rules)
        print(f"  [{suite}] {len(tests)} x {reason}{'' if ok else '   <- NOT ALLOWED'}")
        for test in tests[:5]:
            print(f"      {test}")
        if len(tests) > 5:
            print(f"      ... and {len(tests) - 5} more")
        if not ok:
            refused.append((suite, reason))
    if refused:
        print(f"{len(refused)} skip reason(s) not in the allow-list of {readme}: "
              "install the missing component (make setup-test) or fix the test")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
