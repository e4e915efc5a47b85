"""The Celery application. Workers start with ``celery -A mot worker``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mot.settings")

app = Celery("mot")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
