"""The shipped nginx site (deploy/server/nginx/) in front of local app servers, on loopback.

The site file is used as shipped, with only what a test machine differs in: plain HTTP on a
free loopback port instead of TLS on 443 (no certificate), the upstream's servers, and the
paths of logs, static files and the proxy snippet. Every location, limit and map is the
shipped one.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from kiosk.server.launcher import free_port

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "deploy" / "server" / "nginx" / "carrefour.conf"
SNIPPET = ROOT / "deploy" / "server" / "nginx" / "carrefour-proxy.conf"


def nginx_binary() -> str | None:
    return shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


def render_site(upstreams: list[str], port: int, tmp: Path) -> str:
    site = SITE.read_text()
    site = re.sub(r"\nserver \{\n    listen 80;.*?\n\}\n", "\n", site, flags=re.S)
    site = re.sub(r"upstream carrefour_app \{.*?\n\}",
                  "upstream carrefour_app {\n" + "".join(
                      f"    server {u} max_fails=3 fail_timeout=10s;\n" for u in upstreams)
                  + "    keepalive 64;\n}", site, flags=re.S)
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{port};")
    site = "\n".join(line for line in site.splitlines()
                     if not line.strip().startswith(("listen [::]:443", "ssl_")))
    site = site.replace("/etc/nginx/snippets/carrefour-proxy.conf", str(SNIPPET))
    site = site.replace("/var/log/nginx/", f"{tmp}/")
    return site.replace("/var/lib/carrefour/static/", f"{tmp}/static/")


class Nginx:
    def __init__(self, tmp: Path, upstreams: list[str]):
        self.tmp, self.port = tmp, free_port()
        self.process: subprocess.Popen | None = None
        tmp.mkdir(parents=True, exist_ok=True)
        (tmp / "static").mkdir(exist_ok=True)
        (tmp / "site.conf").write_text(render_site(upstreams, self.port, tmp))
        user = "user root;\n" if os.geteuid() == 0 else ""  # workers reach tmp as we do
        temps = "".join(f"    {name}_temp_path {tmp}/{name};\n"
                        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (tmp / "nginx.conf").write_text(
            f"{user}worker_processes 1;\npid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\n"
            "events { worker_connections 4096; }\n"
            f"http {{\n    include /etc/nginx/mime.types;\n{temps}"
            f"    include {tmp}/site.conf;\n}}\n")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> Nginx:
        binary = nginx_binary()
        args = [binary, "-p", str(self.tmp), "-c", str(self.tmp / "nginx.conf"),
                "-e", str(self.tmp / "error.log")]
        check = subprocess.run([*args, "-t", "-q"], capture_output=True, text=True, timeout=30)
        if check.returncode != 0:
            raise RuntimeError(f"nginx -t: {check.stderr}")
        self.process = subprocess.Popen([*args, "-g", "daemon off;"], start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError((self.tmp / "error.log").read_text()[-2000:])
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("nginx did not listen")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGQUIT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
