#!/bin/sh
# One command for a new kiosk on a fresh Debian 12 (as root, from a copy of the repository):
#   deploy/kiosk/provision.sh --server https://carrefour.example.fr --code XXXX-XXXX-XXXX-XXXX
# --check says what it would do and changes nothing. Run it again: it changes nothing.
# Add --bundle carrefour-kiosk-X.tar --public-key KEY for the first signed release (signed
# remote updates on: docs/updates.md); without it the kiosk runs /opt/carrefour/venv.
# The work is done by provision.py (standard library only); this only makes sure Debian's
# python3 is there to run it. What it does, step by step: README.md here.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v python3 >/dev/null 2>&1; then
    for arg in "$@"; do
        case "$arg" in --check|--no-apt)
            echo "provision: python3 is missing (apt-get install python3)" >&2; exit 2;;
        esac
    done
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends python3
fi
exec python3 "$here/provision.py" "$@"
