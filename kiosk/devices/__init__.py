"""Kiosk devices: the ticket printer (ESC/POS), speech (espeak-ng), the systemd watchdog and
the agents' exit gesture.

Each device sits behind a small protocol with a null/file backend, so the UI and the tests
run without hardware. Layer rule: this package imports the standard library, kiosk.domain,
escpos and qrcode only; never Kivy, Django or requests (kiosk/devices/ruff.toml).
"""
