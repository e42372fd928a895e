"""One screen = one `.py` + one `.kv` side by side."""
