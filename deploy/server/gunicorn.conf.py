# gunicorn settings of carrefour-server.service: `gunicorn --config deploy/server/gunicorn.conf.py`.
# The benches and the end-to-end tests start the server from the unit's ExecStart and this
# file (tests/support/unit.py): what is measured is what is shipped.
#
# uvicorn workers (ASGI, kiosk/server/asgi.py): each worker is one event loop. The kiosks'
# content long-polls (25 s each, all day) are coroutines there, not threads: a city's kiosks
# wait on one server. Sync views run on SYNC_REQUESTS threads kept by each worker, with
# PostgreSQL connections from a pool per worker (DB_POOL_MAX, settings.py).
import multiprocessing
import os

wsgi_app = "kiosk.server.asgi:application"
worker_class = "uvicorn_worker.UvicornWorker"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# One event loop per core, plus one: a worker busy in Python leaves the others answering.
workers = int(os.environ.get("GUNICORN_WORKERS") or multiprocessing.cpu_count() + 1)
# Heartbeat between a worker and the arbiter (a long-poll does not block it): a worker stuck
# for a minute is restarted.
timeout = 60
graceful_timeout = 20
# Above nginx's upstream keepalive (60 s): nginx, not the app, closes idle connections, so a
# request never meets a connection the app is closing (a 502).
keepalive = 75
# A worker is replaced after this many requests (long-polls and 304s count), a guard against
# a slow leak, jittered so that two workers do not go together. Not much lower: a replaced
# worker drops its parked long-polls (a third of the kiosks come back at once) and its
# caches, and boots Django again; at 5,000 the load bench's city (~50 requests/s a worker)
# replaced every worker each 100 s. At 100,000: every half-hour or so under that load.
max_requests = 100_000
max_requests_jitter = 20_000
accesslog = "-"
# nginx on this machine: its X-Forwarded-* headers are believed, nobody else's.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
