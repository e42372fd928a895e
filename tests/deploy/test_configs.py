"""deploy/server/: the systemd units, the nginx site and the example environment file are
checked by the tools that will read them (systemd-analyze, nginx -t, Django's deploy checks)."""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
SERVER = ROOT / "deploy" / "server"
UNITS = sorted(SERVER.glob("carrefour-*.service")) + sorted(SERVER.glob("carrefour-*.timer"))


def test_the_expected_units_exist():
    assert {u.name for u in UNITS} == {
        "carrefour-server.service", "carrefour-sms-worker.service",
        "carrefour-purge.service", "carrefour-purge.timer",
        "carrefour-no-shows.service", "carrefour-no-shows.timer",
        "carrefour-backup.service", "carrefour-backup.timer"}


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")
def test_systemd_accepts_the_units(tmp_path):
    """`systemd-analyze verify`, with /opt/carrefour pointing at this checkout."""
    for unit in UNITS:
        text = unit.read_text().replace("/opt/carrefour", str(ROOT))
        (tmp_path / unit.name).write_text(text)
    venv = ROOT / ".venv" / "bin"
    if not (venv / "gunicorn").exists():
        pytest.skip("no .venv with gunicorn in this checkout")
    result = subprocess.run(["systemd-analyze", "verify", "--man=no",
                             *[str(tmp_path / u.name) for u in UNITS]],
                            capture_output=True, text=True, timeout=60, cwd=tmp_path)
    problems = [line for line in (result.stdout + result.stderr).splitlines()
                if "carrefour" in line]
    assert problems == [] and result.returncode == 0, result.stdout + result.stderr


def test_units_are_hardened_and_take_secrets_as_credentials():
    for name in ("carrefour-server.service", "carrefour-sms-worker.service"):
        text = (SERVER / name).read_text()
        for line in ("NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
                     "ReadWritePaths=/var/lib/carrefour", "User=carrefour",
                     "EnvironmentFile=/etc/carrefour/server.env",
                     "LoadCredential=secret_key:", "SECRET_KEY_FILE=%d/secret_key"):
            assert line in text, (name, line)
    assert "Restart=always" in (SERVER / "carrefour-sms-worker.service").read_text()
    assert "sms_worker" in (SERVER / "carrefour-sms-worker.service").read_text()
    purge = (SERVER / "carrefour-purge.service").read_text()
    assert "purge_personal_data" in purge
    # Orphan assets after the personal data: a failure there never keeps a number.
    assert purge.index("purge_personal_data") < purge.index("kiosk.server purge_assets")
    assert "mark_no_shows" in (SERVER / "carrefour-no-shows.service").read_text()
    assert "backup.sh" in (SERVER / "carrefour-backup.service").read_text()
    server = (SERVER / "carrefour-server.service").read_text()
    assert "--config /opt/carrefour/deploy/server/gunicorn.conf.py" in server
    conf = (SERVER / "gunicorn.conf.py").read_text()
    assert '"127.0.0.1:8000"' in conf and "GUNICORN_WORKERS" in conf
    assert 'worker_class = "uvicorn_worker.UvicornWorker"' in conf
    assert 'wsgi_app = "kiosk.server.asgi:application"' in conf


def example_env() -> dict[str, str]:
    pairs = {}
    for line in (SERVER / "server.env.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            pairs[key.strip()] = value.strip()
    return pairs


def test_the_example_env_holds_no_secret_and_only_known_settings():
    settings_py = (ROOT / "kiosk" / "server" / "settings.py").read_text()
    units = "".join(u.read_text() for u in UNITS)
    for key, value in example_env().items():
        assert not re.search(r"SECRET|PASSWORD|TOKEN", key), key
        assert "://" not in value or "@" not in value.split("://", 1)[1].split("/")[0] \
            or ":" not in value.split("://", 1)[1].split("@")[0], f"{key}: password in a URL"
        known = f'"{key}"' in settings_py or key.startswith(("GUNICORN_", "BACKUP_")) \
            or f"${{{key}}}" in units
        assert known, f"{key} is read by nothing"


def test_the_example_env_passes_the_deploy_checks(tmp_path):
    """Production settings as the README sets them up: no deploy warning at all."""
    key = tmp_path / "secret_key"
    key.write_text(secrets.token_urlsafe(50))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LANG": "C.UTF-8",
           **example_env(), "SECRET_KEY_FILE": str(key),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
           "CARREFOUR_DATA_DIR": str(tmp_path / "data"), "STATIC_ROOT": str(tmp_path / "st")}
    result = subprocess.run([sys.executable, "-m", "kiosk.server", "check", "--deploy",
                             "--fail-level", "WARNING"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    # The database cache the rate limiter uses in production can be created.
    result = subprocess.run([sys.executable, "-m", "kiosk.server", "createcachetable"],
                            env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists(),
                    reason="nginx not installed (apt install nginx)")
def test_nginx_accepts_the_site(tmp_path):
    """`nginx -t` on the site file inside a minimal nginx.conf, with a throw-away cert."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not shutil.which("openssl"):
        pytest.skip("openssl not installed")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=carrefour.test", "-keyout", str(tmp_path / "privkey.pem"),
                    "-out", str(tmp_path / "fullchain.pem")], check=True, capture_output=True)
    site = (SERVER / "nginx" / "carrefour.conf").read_text()
    site = site.replace("/etc/ssl/carrefour/", f"{tmp_path}/")
    site = site.replace("/etc/nginx/snippets/carrefour-proxy.conf",
                        str(SERVER / "nginx" / "carrefour-proxy.conf"))
    site = site.replace("/var/log/nginx/", f"{tmp_path}/")
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(f"""
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{}}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    include {tmp_path}/site.conf;
}}
""")
    result = subprocess.run([nginx, "-t", "-q", "-p", str(tmp_path), "-c",
                             str(tmp_path / "nginx.conf"), "-e", str(tmp_path / "error.log")],
                            capture_output=True, text=True, timeout=30)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Stapling needs an OCSP responder in the real certificate; nothing else may warn.
    warnings = [line for line in output.splitlines() if "[warn]" in line
                and "ssl_stapling" not in line]
    assert warnings == [], output


def test_the_dlr_endpoint_is_loopback_only_in_nginx():
    site = (SERVER / "nginx" / "carrefour.conf").read_text()
    block = site[site.index("location /sms/dlr/"):]
    block = block[:block.index("}")]
    assert "allow 127.0.0.1;" in block and "deny all;" in block
    proxy = (SERVER / "nginx" / "carrefour-proxy.conf").read_text()
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in proxy


def test_nginx_lets_the_content_long_poll_wait():
    """/api/v1/content/changes holds a request up to 25 s (+ the kiosk's 5 s timeout): the
    proxy's read timeout for /api/ must stay above 35 s, and so must gunicorn's --timeout."""
    from kiosk.server.content.push import MAX_WAIT_SECONDS

    site = (SERVER / "nginx" / "carrefour.conf").read_text()
    block = site[site.index("location /api/"):]
    block = block[:block.index("}")]
    assert "proxy_read_timeout" not in block  # the shared snippet's value applies
    assert "include /etc/nginx/snippets/carrefour-proxy.conf;" in block
    proxy = (SERVER / "nginx" / "carrefour-proxy.conf").read_text()
    read_timeout = int(re.search(r"^proxy_read_timeout (\d+)s;", proxy, re.M).group(1))
    assert read_timeout >= MAX_WAIT_SECONDS + 10
    # uvicorn workers: a long-poll waits on the event loop, gunicorn's timeout is the
    # worker's heartbeat; nginx's upstream keepalive (60 s) must close before the app's.
    conf = (SERVER / "gunicorn.conf.py").read_text()
    assert int(re.search(r"^timeout = (\d+)", conf, re.M).group(1)) >= MAX_WAIT_SECONDS + 10
    assert int(re.search(r"^keepalive = (\d+)", conf, re.M).group(1)) > 60


def test_nginx_never_limits_kiosks_or_phones_per_address():
    """A lobby's kiosks and the waiting room's phones share one NAT address: nginx counts
    kiosks per token and phones per ticket; the per-address zone only counts requests
    without a kiosk token (the end-to-end proof: tests/e2e/test_two_app_servers.py)."""
    site = (SERVER / "nginx" / "carrefour.conf").read_text()
    zones = dict(re.findall(r"^limit_req_zone (\S+) zone=(\w+):", site, re.M))
    assert "$binary_remote_addr" not in zones  # never a bare address key
    assert re.search(r'map \$http_authorization \$carrefour_anon_key \{ "" \$binary_remote_addr; '
                     r'default ""; \}', site)
    api = site[site.index("location /api/"):]
    api = api[:api.index("}")]
    assert "limit_req zone=carrefour_per_kiosk" in api
    phones = site[site.index("location ~ ^/t/"):]
    assert "limit_req zone=carrefour_per_ticket" in phones[:phones.index("}")]
