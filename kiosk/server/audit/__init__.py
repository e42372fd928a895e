"""The back-office's audit log: who changed which content, when, and what changed."""
