from django.db.models import Avg, Count, Q

from feedback.demo import load_demo
from feedback.demo_data import CRITICAL
from feedback.models import Activity, Customer, Response
from metrics.models import MomentCounts, MomentImpact, Scope


def _pain_share(title: str) -> float:
    answers = Response.objects.filter(
        touchpoint__title=title, touchpoint__journey__name="B2C online shop"
    )
    pain = answers.filter(Q(nps__lte=6) | Q(nps__isnull=True, csat__lte=2)).count()
    return pain / answers.count()


def test_demo_feedback_is_realistic_and_loads_once(db):
    load_demo()
    counts = (Response.objects.count(), Customer.objects.count(), Activity.objects.count())

    load_demo()

    assert (Response.objects.count(), Customer.objects.count(), Activity.objects.count()) == counts
    assert counts[0] >= 3000  # several thousand answers
    languages = set(Response.objects.values_list("language", flat=True))
    assert languages == {"pt", "es", "ro", "en"}
    repeat = Customer.objects.annotate(n=Count("responses")).filter(n__gt=1).count()
    assert repeat > 100  # customers who answer more than once
    assert Response.objects.filter(comment__icontains="entrega atrasada").exists()
    span = Response.objects.order_by("submitted_at").values_list("submitted_at", flat=True)
    assert (span.last() - span.first()).days > 300  # spread over the year
    # The story the numbers tell: the wait for delivery hurts, the product page delights.
    assert _pain_share("Waiting for delivery") > 0.4 > _pain_share("Product page")
    # A share of the answers carry a CES (1-7), easy where the moment went well.
    with_ces = Response.objects.filter(ces__isnull=False)
    assert 0.3 < with_ces.count() / counts[0] < 0.6
    assert set(with_ces.values_list("ces", flat=True)) == set(range(1, 8))
    glory = with_ces.filter(nps__gte=9).aggregate(mean=Avg("ces"))["mean"]
    pain = with_ces.filter(nps__lte=6).aggregate(mean=Avg("ces"))["mean"]
    assert glory > 5.5
    assert pain < 3


def test_each_journey_loses_the_most_customers_at_its_critical_wait(
    db, celery_eager, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):  # the demo's metrics recompute
        load_demo()
    costliest = {}
    impacts = MomentImpact.objects.filter(enough=True, difference__isnull=False)
    for impact in impacts.select_related("touchpoint__journey").order_by("difference"):
        costliest[impact.touchpoint.journey.name] = impact.touchpoint.title  # largest last
    assert len(costliest) == 3
    assert set(costliest.values()) == CRITICAL
    # The recompute counted the demo's CES: the workspace's all-time row shows it.
    row = MomentCounts.objects.get(scope=Scope.WORKSPACE, day__isnull=True)
    assert row.ces_answers == Response.objects.filter(ces__isnull=False).count() > 0
    assert row.ces_answers >= 30
    assert 30 < row.ces_easy_share < 90
    assert 1 <= row.ces_mean <= 7
