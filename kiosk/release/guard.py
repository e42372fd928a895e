"""The boot guard: run before every start of the kiosk (ExecStartPre of
carrefour-kiosk.service), with the system's python3 and the standard library only, so that
a broken release cannot break it. It is also copied as a plain script at provisioning.

Layout under the releases root (docs/updates.md):
    releases/<version>/    one virtualenv per installed version
    current -> releases/<version>
    update/pending.json    written at a switch: {"version", "previous", "boots"}
    update/state.json      what the kiosk reports: {"state", "version", "detail", "failed"}

When `pending.json` names the version `current` points to, that version has not yet
confirmed itself (first frame and first heartbeat). Its first start is let through and
counted; a second start without confirmation means the first one died, hung or missed its
deadline: `current` goes back to the previous release, atomically, and the state says
"rolled_back" so the next heartbeat tells the server.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path


def decide(pending: dict | None, current_version: str | None) -> str:
    """"run" (nothing pending for this version), "first_boot" (let the new version try
    once) or "rollback" (a boot of it already started and never confirmed)."""
    if not pending or pending.get("version") != current_version:
        return "run"
    boots = pending.get("boots", 0)
    return "first_boot" if isinstance(boots, int) and boots < 1 else "rollback"


def read_json(path: Path) -> dict | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def write_json(path: Path, value: dict) -> None:
    """Atomic: a power cut leaves the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(value, fh, sort_keys=True)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def current_target(root: Path) -> str | None:
    """Where `current` points, relative to the root ("releases/0.2.0"), or None."""
    try:
        return os.readlink(root / "current")
    except OSError:
        return None


def version_of(target: str | None) -> str | None:
    return Path(target).name if target else None


def point_current(root: Path, target: str) -> None:
    """Make `current` point at `target` (relative) with one rename: never missing."""
    tmp = root / f".current.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    os.symlink(target, tmp)
    os.replace(tmp, root / "current")
    _fsync_dir(root)


def run_guard(root: Path) -> str:
    pending_path = root / "update" / "pending.json"
    pending = read_json(pending_path)
    version = version_of(current_target(root))
    decision = decide(pending, version)
    if decision == "first_boot":
        assert pending is not None
        write_json(pending_path, {**pending, "boots": int(pending.get("boots", 0)) + 1})
    elif decision == "rollback":
        assert pending is not None
        previous = str(pending.get("previous") or "")
        if not previous or not (root / previous).is_dir():
            print(f"boot guard: {version} never confirmed but no previous release to go "
                  "back to", file=sys.stderr)
            return "stuck"
        point_current(root, previous)
        state = read_json(root / "update" / "state.json") or {}
        failed = dict(state.get("failed") or {})
        failed[str(version)] = "rolled_back"
        write_json(root / "update" / "state.json", {
            "state": "rolled_back", "version": version, "failed": failed,
            "detail": f"{version} did not reach its first frame and heartbeat: back to "
                      f"{version_of(previous)}"})
        pending_path.unlink(missing_ok=True)
        print(f"boot guard: {version} never confirmed: rolled back to {version_of(previous)}",
              file=sys.stderr)
    return decision


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] != "--root":
        print("usage: guard.py --root /opt/carrefour", file=sys.stderr)
        return 2
    try:
        print(f"boot guard: {run_guard(Path(args[1]))}", file=sys.stderr)
    except Exception as exc:  # never keep the kiosk from starting
        print(f"boot guard failed: {exc!r}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
