"""MOT's WSGI application (gunicorn imports it in each worker, after the fork)."""

import gc
import os

from django.core.wsgi import get_wsgi_application


def freeze_heap() -> None:
    """Hand what loading the application allocated (Django, the apps, the URLconf, the
    translations: ~120,000 objects that live as long as the process) to the garbage collector's
    permanent generation, which its full collections skip.

    A large page allocates enough to trigger full collections while it renders, and each one
    walked every object of the process: on the 2,400-card map they made the median page 15%
    slower and its 95th percentile 2.5 times the median (bench/map_page.py, which calls this
    once its data is set up, as a worker does once it has loaded the application). Each
    worker makes the call itself, after the fork (gunicorn loads the application there), so
    it is about the collections' cost, not about sharing memory with the master."""
    gc.collect()
    gc.freeze()


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mot.settings")
application = get_wsgi_application()
freeze_heap()
