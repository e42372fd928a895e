"""Signed release bundles of the kiosk and their installation beside the running version
(docs/updates.md): `python -m kiosk.release keygen|build|sign|verify|install`."""
