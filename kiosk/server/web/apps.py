from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "kiosk.server.web"
    label = "web"
    verbose_name = "Pages web"

    def ready(self):
        # Django reads compiled .mo files only; set-up compiles them (deploy/dev/bootstrap.sh),
        # this catches a checkout or a catalog edited since.
        from kiosk.server.web.catalogs import compile_if_stale

        compile_if_stale()
