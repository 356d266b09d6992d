from django.apps import AppConfig


class StatelessConfig(AppConfig):
    name = "stateless"
    verbose_name = "Stateless processes"

    def ready(self):
        from stateless import checks  # noqa: F401 - registers the statelessness checks
