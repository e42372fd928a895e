"""`make demo`: the central server on SQLite with the 19e's demo content, then the kiosk.

    make demo              # loopback only: http://127.0.0.1:8000 (this machine)
    make demo LAN=1        # also on this machine's LAN address: the QR codes open on a phone
    make demo LAN=192.168.1.20   # that address (when the machine has several)
    (or: python deploy/dev/demo.py --lan [ADDRESS])

On a machine without a display the kiosk runs under Xvfb and saves a screenshot whose path
is printed. The terminal shows the URLs, the logins and what matters; the server's access
log and the kiosk's log go to files under var/demo/. Ctrl-C stops everything, leaving no
process behind.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from kiosk.server.launcher import LocalServer  # noqa: E402

VAR = ROOT / "var" / "demo"
PORT = int(os.environ.get("PORT", "8000"))
children: list[subprocess.Popen] = []


def say(text: str) -> None:
    print(f"carrefour-demo: {text}", flush=True)


# -- the LAN address (make demo LAN=1) -----------------------------------------------------

# Where a UDP socket is "connected" to learn the source address the kernel would use: no
# packet is sent (UDP connect only picks a route), so nothing leaves the machine.
ROUTE_PROBES = ("10.255.255.255", "192.168.255.255", "172.31.255.255")
TRUTHY = ("1", "yes", "true", "on")


PRIVATE_NETWORKS = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12",
                                                            "192.168.0.0/16"))


def pick_lan_address(candidates) -> str | None:
    """The first private (RFC 1918: a home or office network) IPv4 among `candidates`."""
    for text in candidates:
        try:
            address = ipaddress.ip_address(str(text).strip())
        except ValueError:
            continue
        if address.version == 4 and any(address in net for net in PRIVATE_NETWORKS):
            return str(address)
    return None


def route_sources(probes=ROUTE_PROBES) -> list[str]:
    """The source address of a route to each private probe (no packet is sent)."""
    found = []
    for probe in probes:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            try:
                sock.connect((probe, 9))
                found.append(sock.getsockname()[0])
            except OSError:  # no route to that network
                continue
    return found


def hostname_addresses() -> list[str]:
    """`hostname -I`: every address of the machine (none sent anywhere)."""
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return []
    return out.stdout.split()


def lan_host(choice: str | None, sources=route_sources, addresses=hostname_addresses) -> str:
    """The address to serve phones on: "" = loopback only (the default). `choice`: the
    option's value: None/""/"0" = off; "1"/"yes" = find it; an IPv4 address = that one."""
    choice = (choice or "").strip().lower()
    if choice in ("", "0", "no", "false", "off"):
        return ""
    if choice not in TRUTHY:
        return str(ipaddress.IPv4Address(choice))  # ValueError: not an address
    found = pick_lan_address(sources()) or pick_lan_address(addresses())
    if not found:
        raise ValueError("no LAN address found on this machine (no private IPv4 address); "
                         "give one: make demo LAN=192.168.1.20")
    return found


def urls_table(base: str, demo: dict) -> str:
    """The pages and logins the terminal shows (the README's table, shortened)."""
    site = demo["site"]["id"]
    logins = ", ".join(f"{a['username']} / {a['password']} ({a['role']})" for a in demo["agents"])
    return f"""
  Counter console  {base}/guichet/
  Display board    {base}/ecran/{site}/
  Fleet page       {base}/flotte/{site}/
  Statistics       {base}/stats/{site}/
  Back-office      {base}/admin/
  Phone pages      {base}/carte  ·  {base}/proposer  ·  tickets: scan the kiosk's QR code
  API (OpenAPI)    {base}/api/v1/docs
  Demo logins      {logins}
"""


def relay_kiosk_output(kiosk: subprocess.Popen, log_path: Path) -> None:
    """Copy the kiosk's stdout to its log; show the terminal only its own lines ("first
    frame", "screenshot saved", "stopped cleanly"), not Kivy's and HTTP's log lines."""
    with open(log_path, "a", encoding="utf-8") as log:
        for line in kiosk.stdout:
            log.write(line)
            log.flush()
            if line.startswith("carrefour-kiosk:"):
                print(line, end="", flush=True)


def start_xvfb() -> str:
    """A virtual screen for machines without one; returns the DISPLAY."""
    if not shutil.which("Xvfb"):
        sys.exit("carrefour-demo: no display and no Xvfb (run `make demo` again to install it)")
    for number in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            break
    proc = subprocess.Popen(["Xvfb", f":{number}", "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    children.append(proc)
    for _ in range(100):
        if Path(f"/tmp/.X11-unix/X{number}").exists():
            return f":{number}"
        time.sleep(0.05)
    sys.exit("carrefour-demo: Xvfb did not start")


def stop_all(server: LocalServer | None) -> None:
    for proc in reversed(children):
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
    for proc in children:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
    if server is not None:
        server.stop()


def parse_args(argv=None, environ=os.environ) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="demo.py", description="The Carrefour demo.")
    parser.add_argument("--lan", nargs="?", const="1", default=environ.get("LAN", ""),
                        metavar="ADDRESS",
                        help="also serve on this machine's LAN address (or ADDRESS), so that "
                             "phones on the same Wi-Fi open the QR codes (make demo LAN=1)")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    t0 = time.perf_counter()
    demo = json.loads((ROOT / "config" / "demo" / "19e.json").read_text(encoding="utf-8"))
    try:
        lan = lan_host(parse_args(argv).lan)
    except ValueError as exc:
        sys.exit(f"carrefour-demo: {exc}")
    server = LocalServer(data_dir=VAR / "server", port=PORT, workers=1, threads=8, lan_host=lan)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    # Ctrl-C stops everything even when started from a shell that ignores SIGINT for it.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        say("preparing the database (SQLite) and the 19e demo content…")
        server.prepare(demo=True)
        server.start()
        say(f"server ready at {server.url} (its access log: {VAR / 'server' / 'server.log'})")
        if lan:
            say(f"also on the LAN: {server.public_url} — the kiosk's QR codes open on a phone on "
                "the same Wi-Fi. Anyone on this network can reach it, demo logins included.")
        else:
            say("loopback only: phones cannot open the QR codes. For a phone on the same Wi-Fi: "
                "make demo LAN=1")
        # The SMS outbox worker, on the log backend: "sent" SMS appear in its log.
        sms_log = open(VAR / "server" / "sms.log", "ab")  # noqa: SIM115 - lives with the process
        children.append(subprocess.Popen(
            [sys.executable, "-m", "kiosk.server", "sms_worker"], env=server.env(),
            stdout=sms_log, stderr=subprocess.STDOUT, start_new_session=True))
        sms_log.close()
        say(f"SMS worker started (log backend: {VAR / 'server' / 'sms.log'})")
        print(urls_table(server.public_url, demo), flush=True)
        kiosk_dir = VAR / "kiosk"
        kiosk_dir.mkdir(parents=True, exist_ok=True)
        config = kiosk_dir / "kiosk.toml"
        config.write_text(
            "[server]\n"
            f'server_url = "{server.url}"\n'
            f'token = "{demo["kiosks"][0]["token"]}"\n'
            f'site = "{demo["site"]["id"]}"\n'
            "sync_interval = 10.0\n\n"
            "[kiosk]\n"
            f'site_name = "{demo["site"]["name"]}"\n'
            f'data_dir = "{kiosk_dir}"\n\n'
            "[screen]\nfullscreen = false\ndev_mode = true\nwidth = 1280\nheight = 800\n",
            encoding="utf-8",
        )
        args = [sys.executable, "-m", "kiosk.ui.app", "--config", str(config), "--dev"]
        env = {**os.environ, "CARREFOUR_T0": str(time.time())}
        if not os.environ.get("DISPLAY"):
            env["DISPLAY"] = start_xvfb()
            shot = VAR / "kiosk-home.png"
            args += ["--screenshot", str(shot)]
            say(f"no display here: the kiosk runs under Xvfb ({env['DISPLAY']}); "
                f"its home screen will be saved to {shot}")
        kiosk_log = kiosk_dir / "kiosk.log"
        say(f"starting the kiosk ({time.perf_counter() - t0:.1f} s since start; its log: "
            f"{kiosk_log}). Ctrl-C stops everything.")
        with open(kiosk_log, "a", encoding="utf-8") as err:
            kiosk = subprocess.Popen(args, env=env, start_new_session=True, stdout=subprocess.PIPE,
                                     stderr=err, text=True)
        children.append(kiosk)
        relay_kiosk_output(kiosk, kiosk_log)
        kiosk.wait()
        say(f"kiosk exited with {kiosk.returncode}")
        return kiosk.returncode
    except KeyboardInterrupt:
        print()
        say("stopping…")
        return 0
    finally:
        stop_all(server)
        say("stopped: no process left behind.")


if __name__ == "__main__":
    sys.exit(main())
