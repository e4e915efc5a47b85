"""MOT's WSGI application (gunicorn imports it in each worker, after the fork)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

# Allocations (less deallocations) between two collections of the youngest generation; Python's
# default is 700. See ``tune_collector``.
YOUNG_THRESHOLD = 20_000


def tune_collector() -> None:
    """Set the garbage collector for a web worker: the objects loading the application left
    (Django, the apps, the URLconf, the translations: ~120,000 that live as long as the process)
    handed to its permanent generation, which collections skip, and the youngest generation
    collected every 20,000 allocations rather than every 700.

    A request's objects are freed when it ends; only cycles wait for a collection. But a large
    page allocates tens of thousands of objects while it renders, and with the defaults each of
    its ~16 young collections walked the young objects, and the older collections every object
    of the process. On the 2,400-card map (bench/map_page.py, which calls this once its data is
    set up, as a worker does once it has loaded the application): the bench's median page
    84.8 -> 72.0 ms and its 95th percentile 219 -> 89 ms with the freeze; then ~3.5 ms of
    collections a page (gc.callbacks), gone with the larger threshold (in-process median
    64.5-70.5 -> 57.1-59.9 ms). Each worker makes the call itself, after the fork (gunicorn
    loads the application there), so this is about the collections' cost, not about sharing
    memory."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *gc.get_threshold()[1:])


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mot.settings")
application = get_wsgi_application()
tune_collector()
