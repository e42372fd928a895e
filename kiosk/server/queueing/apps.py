from django.apps import AppConfig


class QueueingConfig(AppConfig):
    """The queue's writes are its actions (issuing, counter_actions, visitor_actions,
    lifecycle), each a queue change in its transaction (estimates.queue_changed); the
    back-office's counter saves and deletions call it too (CounterAdmin). No signal: the
    receivers once wired here were functions local to ready(), held by the signals' weak
    references only. With DEBUG on, Django's check of a receiver's arguments keeps it in an
    lru_cache; with DEBUG off (production, the tests) it was gone as soon as ready()
    returned: a counter deleted in the back-office changed no queue version."""

    name = "kiosk.server.queueing"
    label = "queueing"
    verbose_name = "Files d'attente"
