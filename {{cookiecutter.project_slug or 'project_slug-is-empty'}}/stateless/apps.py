import django_stubs_ext
from django.apps import AppConfig

# Django's generic classes take type parameters at run time too (ModelAdmin[Document], as mypy reads them).
# Here, before any app's models or admin module is imported, and not in the settings, which import no app.
django_stubs_ext.monkeypatch()


class StatelessConfig(AppConfig):
    name = "stateless"
    verbose_name = "Stateless processes"

    def ready(self):
        from stateless import checks  # noqa: F401 - registers the statelessness checks
