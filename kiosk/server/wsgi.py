"""WSGI entry point (gunicorn kiosk.server.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kiosk.server.settings")
application = get_wsgi_application()
