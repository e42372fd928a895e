"""Frozen copy of kiosk/domain (the content parser of the kiosk build of this contract), written by python -m tests.compat.record. Never edit it."""
