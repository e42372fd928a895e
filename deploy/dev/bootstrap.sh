#!/usr/bin/env bash
# Install what Carrefour needs on a fresh Debian machine, idempotently and fast the second time.
#   deploy/dev/bootstrap.sh demo   -> packages to run the server + kiosk (SQLite, demo content)
#   deploy/dev/bootstrap.sh test   -> plus PostgreSQL, Chromium, Kannel, espeak-ng for the tests
set -euo pipefail
cd "$(dirname "$0")/../.."
purpose=${1:-demo}

# Debian packages. Kivy's wheel bundles SDL2; it needs mtdev and GL; Xvfb gives a screen to
# machines without one; Noto fonts cover Latin (incl. ɛ ɔ ɲ ŋ), Arabic and CJK.
pkgs=(xvfb xauth libmtdev1 libgl1 libegl1 libgl1-mesa-dri fonts-noto-core fonts-noto-cjk librsvg2-bin espeak-ng)
if [ "$purpose" = test ]; then
  # postgresql-client: pg_dump and psql (tests/deploy/test_backup_restore.py), named, not only pulled in.
  # gcc, libc6-dev: the tests' site clock, a small preloaded library (tests/support/siteclock.c).
  pkgs+=(postgresql postgresql-client chromium chromium-driver kannel kannel-extras nginx-core systemd openssl
         gcc libc6-dev)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! python3 -c 'import venv, ensurepip' 2>/dev/null; then missing+=(python3-venv); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> apt: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts a cluster on install; the tests run their own on loopback, so stop it.
  if [[ " ${missing[*]} " == *" postgresql "* ]] && command -v service >/dev/null; then
    $SUDO service postgresql stop >/dev/null 2>&1 || true
  fi
  if [[ " ${missing[*]} " == *" kannel "* ]]; then
    $SUDO service kannel stop >/dev/null 2>&1 || true
  fi
  # nginx is only there for `nginx -t` on deploy/server/nginx (tests): not left running.
  if [[ " ${missing[*]} " == *" nginx-core "* ]] && command -v service >/dev/null; then
    $SUDO service nginx stop >/dev/null 2>&1 || true
  fi
fi

# Python venv in .venv, reinstalled only when pyproject.toml changes.
extras="kiosk,server"; [ "$purpose" = test ] && extras="kiosk,server,dev"
hash=$(sha256sum pyproject.toml | cut -c1-16)
stamp=".venv/.carrefour-$hash-${extras//,/-}"
# A test install (kiosk,server,dev) also serves the demo: no reinstall when switching.
if [ "$purpose" = demo ] && [ -f ".venv/.carrefour-$hash-kiosk-server-dev" ]; then
  stamp=".venv/.carrefour-$hash-kiosk-server-dev"
fi
if [ ! -f "$stamp" ]; then
  echo "==> venv: installing carrefour[$extras] into .venv"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  .venv/bin/pip install -q --upgrade pip >/dev/null
  .venv/bin/pip install -q -e ".[$extras]"
  rm -f .venv/.carrefour-*
  touch "$stamp"
fi

# Pictograms: SVG sources rendered to PNG at build time (skips up-to-date files).
.venv/bin/python assets/pictograms/render.py >/dev/null
# Kiosk texts: the six gettext catalogs compiled to .mo (stdlib only, no Babel needed).
.venv/bin/python -m kiosk.ui.i18n compile && .venv/bin/python -m kiosk.server.web.catalogs
# Floor plans (the service's spot is drawn by the kiosk on top), same way.
.venv/bin/python assets/plans/render.py >/dev/null
echo "==> ready ($purpose)"
