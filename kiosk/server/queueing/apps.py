from django.apps import AppConfig


class QueueingConfig(AppConfig):
    name = "kiosk.server.queueing"
    label = "queueing"
    verbose_name = "Files d'attente"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from kiosk.server.queueing.models import Counter

        # A counter opened, closed, renamed or given other services (back-office) changes
        # the estimates and the consoles: the polled pages must answer 200 again.
        # (Only an existing version row is bumped: a site being deleted gets none.)
        def counter_changed(sender, instance, **kwargs):
            from django.db.models import F

            from kiosk.server.queueing.estimates import invalidate_estimates
            from kiosk.server.queueing.models import QueueVersion

            if isinstance(instance, Counter) and instance.site_id:
                QueueVersion.objects.filter(site_id=instance.site_id).update(
                    version=F("version") + 1)
                invalidate_estimates(instance.site_id)

        post_save.connect(counter_changed, sender=Counter, dispatch_uid="queue-counter-save")
        post_delete.connect(counter_changed, sender=Counter, dispatch_uid="queue-counter-del")
        m2m_changed.connect(counter_changed, sender=Counter.services.through,
                            dispatch_uid="queue-counter-services")
