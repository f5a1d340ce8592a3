import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coalition.settings")

django_application = get_wsgi_application()

# Imported once Django is set up: the fast path names the counts' cache key, which lives with the signatures' models.
from coalition.core.wsgi_cache import StatsFastPath  # noqa: E402

# GET /api/v1/stats/ replays Django's own answer while the counts it shows are current (coalition/core/wsgi_cache.py).
application = StatsFastPath(django_application)
