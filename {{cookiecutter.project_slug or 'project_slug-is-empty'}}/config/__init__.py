{%- if cookiecutter.worker == "celery" -%}
# Every process that loads the project loads its Celery app, so that a task queued anywhere goes to the
# configured broker, never to the default app's amqp://localhost.
from config.celery import app as celery_app

__all__ = ["celery_app"]
{% endif -%}
