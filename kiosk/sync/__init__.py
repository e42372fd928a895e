"""Kiosk <-> server synchronisation. No Kivy here: it runs and is tested headless."""
