"""`python -m kiosk.release`: make, sign and check release bundles; install one on a kiosk.

    keygen  --private release-key.pem            (prints the public key kiosks pin)
    build   --version 0.2.0 --key release-key.pem --out carrefour-kiosk-0.2.0.tar
            [--project .] [--with-deps] [--wheels DIR] [--requirement 'carrefour[kiosk]==0.2.0']
    sign    BUNDLE --key release-key.pem         (re-sign, e.g. on an offline machine)
    verify  BUNDLE --public-key BASE64
    install BUNDLE --root /opt/carrefour --public-key BASE64   (a kiosk's first release)
    status  --root /opt/carrefour
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from kiosk.release.bundle import (
    BundleError,
    build_bundle,
    generate_key,
    load_private_key,
    load_public_key,
    sign_bundle,
    verify_bundle,
)


def _wheels(args: argparse.Namespace, scratch: Path) -> list[Path]:
    if args.wheels:
        return sorted(Path(args.wheels).glob("*.whl"))
    target = f"{args.project}[kiosk]" if args.with_deps else str(args.project)
    # --with-deps: every dependency's wheel too, so the kiosk installs with no index at all.
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(scratch),
                    *([] if args.with_deps else ["--no-deps"]), target], check=True)
    return sorted(scratch.glob("*.whl"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m kiosk.release", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("keygen")
    p.add_argument("--private", required=True, type=Path)
    p = sub.add_parser("build")
    p.add_argument("--version", required=True)
    p.add_argument("--key", required=True, type=Path)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--project", default=".", type=Path)
    p.add_argument("--wheels", help="a folder of ready wheels instead of building --project")
    p.add_argument("--with-deps", action="store_true")
    p.add_argument("--requirement", help="default: carrefour[kiosk]==VERSION")
    p = sub.add_parser("sign")
    p.add_argument("bundle", type=Path)
    p.add_argument("--key", required=True, type=Path)
    for name in ("verify", "install"):
        p = sub.add_parser(name)
        p.add_argument("bundle", type=Path)
        p.add_argument("--public-key", required=True, action="append")
        if name == "install":
            p.add_argument("--root", required=True, type=Path)
    p = sub.add_parser("status")
    p.add_argument("--root", required=True, type=Path)
    args = parser.parse_args(argv)

    if args.command == "keygen":
        pem, public = generate_key()
        fd = os.open(args.private, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(pem)
        print(public)
        return 0
    if args.command == "build":
        key = load_private_key(args.key.read_bytes())
        requirement = args.requirement or f"carrefour[kiosk]=={args.version}"
        with tempfile.TemporaryDirectory() as scratch:
            wheels = _wheels(args, Path(scratch))
            if not wheels:
                print("no wheels to bundle", file=sys.stderr)
                return 1
            out = build_bundle(args.out, args.version, requirement, wheels, key)
        print(out)
        return 0
    if args.command == "sign":
        print(sign_bundle(args.bundle, load_private_key(args.key.read_bytes())))
        return 0
    if args.command == "status":
        from kiosk.release.install import Releases

        releases = Releases(args.root)
        print(json.dumps({"current": releases.current_version(), "pending": releases.pending(),
                          "state": releases.state()}, indent=1))
        return 0
    keys = [load_public_key(k) for k in args.public_key]
    try:
        if args.command == "verify":
            manifest = verify_bundle(args.bundle, keys)
            print(f"{manifest.version}: signature and {len(manifest.files)} files OK")
            return 0
        from kiosk.release.install import install_first

        print(install_first(args.root, args.bundle, keys))
        return 0
    except BundleError as exc:
        print(f"{exc.state}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
