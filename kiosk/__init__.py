"""Carrefour: the lobby kiosk of a Paris town hall and its central server."""

__version__ = "0.1.0"
