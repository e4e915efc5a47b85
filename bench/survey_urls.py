"""MOT's URLs plus the reference view of bench/survey_load.py: the framework's own ceiling.

The reference is the least a Django view that stores a posted answer can do on this server: the
same middleware (CSRF checked against the same cookie and token), the form body parsed, one
INSERT of one row (in autocommit, on the same persistent connection), an empty 204.
"""

from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST

from mot.urls import urlpatterns as mot_urlpatterns

CEILING_TABLE = "bench_survey_ceiling"


@require_POST
def ceiling(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {CEILING_TABLE} (external_id, nps, comment) VALUES (%s, %s, %s)",
            [request.POST["submission"], int(request.POST["nps"]), request.POST.get("comment", "")],
        )
    return HttpResponse(status=204)


urlpatterns = [path("bench/ceiling/", ceiling, name="bench_ceiling"), *mot_urlpatterns]
