import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coalition.settings")

app = Celery("coalition")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def database_connections_tidy(sender=None, **kwargs):
    """Around each task, what Django does around each request: a connection older than CONN_MAX_AGE, or broken, is
    closed, the others kept. Celery's own closing is held off by CELERY_DB_REUSE_MAX (settings.py)."""
    if sender is None or getattr(sender.request, "is_eager", False):
        # An eager task runs inside the caller's request and transaction: its connection is the caller's to manage.
        return
    from django.db import close_old_connections

    close_old_connections()
