"""Settings for the test suites: production settings with test-safe environment defaults."""

import atexit
import os
import shutil
import tempfile
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-carrefour-0123456789abcdefghij")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SESSION_COOKIE_SECURE", "0")
os.environ.setdefault("CSRF_COOKIE_SECURE", "0")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
# load_demo runs in the tests (a demo server; tests/server/test_accounts_* checks the refusal).
os.environ.setdefault("DEMO", "1")

from kiosk.server.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed: tests only

# whitenoise warns (an error under filterwarnings=error) when STATIC_ROOT does not exist yet.
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# In-process tests share one local-memory cache and one client IP: the rate limiter would
# count across unrelated tests. Its own tests (tests/security/test_ratelimit.py) turn it on.
RATELIMIT_ENABLED = False

# The test client's login() authenticates without a request, which django-axes refuses: the
# per-account lockout is off here, and on in its own tests (tests/server/test_accounts_*.py)
# and in every real server process the e2e and browser tests start.
AXES_ENABLED = False

# The phone numbers' day keys (kiosk/server/queueing/phone_vault.py): one folder per test
# process, so a purge in one run never shreds the keys another run is using.
PHONE_KEYS_DIR = Path(tempfile.mkdtemp(prefix="carrefour-phone-keys-"))
atexit.register(shutil.rmtree, PHONE_KEYS_DIR, ignore_errors=True)  # gone with its process

# A run may cross the end of the working day: sessions last SESSION_MAX_HOURS here (the
# end of day has its own tests, tests/server/test_accounts_sessions.py).
SESSION_END_OF_DAY = ""
