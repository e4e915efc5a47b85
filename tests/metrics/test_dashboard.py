"""The moment dashboard: who reads it, what it counts (against hand-built metric rows), how many
queries it takes, and its CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.utils import timezone

from feedback.models import Customer, Response, Source
from journeys.models import Channel, MotStage, Touchpoint
from journeys.services import journey_create, stage_create, touchpoint_create
from metrics import compute
from metrics.dashboard.page import dashboard
from metrics.models import (
    ExpectationCounts,
    MomentCounts,
    MomentImpact,
    MonthCounts,
    RecoveryCounts,
    RecoveryEffect,
    RetentionCohort,
    Scope,
)
from metrics.read.dashboard import DashboardFilter, Period, workspace_journeys
from mot.models import Role, Workspace
from tests.conftest import login

URL = "/w/acme/dashboard/"
EXPORT = "/w/acme/dashboard/export/"
TODAY = date(2026, 3, 31)
MARCH = Period(date(2026, 3, 2), TODAY)  # 30 days; the previous period is Jan 31 - Mar 1


def add_day(
    tp: Touchpoint, day: date | None, promoters=0, passives=0, detractors=0, **csat
) -> None:
    """One day of NPS-only answers at a touchpoint, stored as the engine would: the touchpoint's
    daily row and the same counts added to its month row and to its journey's and the
    workspace's daily rows (the all-time rows when ``day`` is None)."""
    values = {
        "promoters": promoters,
        "passives": passives,
        "detractors": detractors,
        "glory": promoters,
        "neutral": passives,
        "pain": detractors,
        "answers": promoters + passives + detractors,
        **csat,
    }
    scopes = [
        (Scope.TOUCHPOINT, str(tp.pk), tp.journey_id),
        (Scope.JOURNEY, str(tp.journey_id), tp.journey_id),
        (Scope.WORKSPACE, "", None),
    ]
    for scope, key, journey_id in scopes:
        row, _ = MomentCounts.objects.get_or_create(
            workspace_id=tp.journey.workspace_id,
            journey_id=journey_id,
            scope=scope,
            key=key,
            day=day,
            defaults={"computed_at": timezone.now()},
        )
        for name, value in values.items():
            setattr(row, name, getattr(row, name) + value)
        row.save()
    if day is not None:  # and the touchpoint's month row
        month, _ = MonthCounts.objects.get_or_create(
            workspace_id=tp.journey.workspace_id,
            journey_id=tp.journey_id,
            touchpoint=tp,
            month=day.replace(day=1),
        )
        for name, value in values.items():
            setattr(month, name, getattr(month, name) + value)
        month.save()


def tps(journey) -> dict[str, Touchpoint]:
    return {tp.title: tp for tp in Touchpoint.objects.filter(journey=journey)}


def march(journey, **filters):
    return dashboard(
        workspace=journey.workspace,
        journeys=workspace_journeys(workspace_id=journey.workspace_id),
        journey=journey,
        filters=DashboardFilter(period=MARCH, journey_id=journey.pk, **filters),
    )


# --- access ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", Role.values)
def test_every_role_reads_the_dashboard(client, personas, journey, role):
    login(client, personas[role])
    assert client.get(URL).status_code == 200
    assert client.get(URL, {"journey": journey.pk}).status_code == 200


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.ADMIN, 200), (Role.EDITOR, 200), (Role.MANAGER, 200), (Role.STAFF, 403)],
)
def test_exporting_roles_download_the_csv(client, personas, journey, role, status):
    login(client, personas[role])
    assert client.get(EXPORT).status_code == status
    page = client.get(URL).content.decode()
    assert ("Download CSV" in page) == (status == 200)


def test_outsider_and_anonymous_are_kept_out(client, outsider, journey):
    assert client.get(URL).status_code == 302  # to the login page
    login(client, outsider)
    assert client.get(URL).status_code == 404
    assert client.get(EXPORT).status_code == 404


def test_another_workspaces_journey_is_ignored(client, manager, journey, outsider):
    theirs = journey_create(actor=outsider, name="Their secret journey")
    stage = stage_create(actor=outsider, journey=theirs, name="Theirs")
    secret = touchpoint_create(actor=outsider, stage=stage, title="Secret moment")
    add_day(secret, TODAY, promoters=50)
    login(client, manager)
    page = client.get(URL, {"journey": theirs.pk, "period": "all"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Secret moment" not in html
    assert "Their secret journey" not in html
    assert "Select a valid choice" in html  # the stale or foreign id is named, not used
    assert 'id="kpi-answers"' in html
    export = client.get(EXPORT, {"journey": theirs.pk, "period": "all"}).content.decode()
    assert "Secret moment" not in export


# --- numbers -----------------------------------------------------------------------------------


def test_period_totals_sum_the_daily_rows_of_the_period_and_the_one_before(journey):
    t = tps(journey)
    add_day(t["Reviews"], date(2026, 3, 2), promoters=10, detractors=5)  # first day: in
    add_day(t["Checkout"], TODAY, promoters=20, passives=5)  # last day: in
    add_day(t["Reviews"], date(2026, 3, 1), promoters=1, detractors=7)  # previous period
    add_day(t["Checkout"], date(2026, 1, 31), detractors=2)  # previous period, first day
    add_day(t["Checkout"], date(2026, 1, 30), promoters=99)  # before both
    add_day(t["Checkout"], date(2026, 4, 1), promoters=99)  # after both
    k = march(journey).kpis
    assert k.current == compute.Counts(
        answers=40, promoters=30, passives=5, detractors=5, glory=30, neutral=5, pain=5
    )
    assert k.previous == compute.Counts(answers=10, promoters=1, detractors=9, glory=1, pain=9)
    assert k.nps.score == pytest.approx(100 * 25 / 40)
    assert k.answers_change == 30


def test_nps_change_beyond_noise_is_flagged_on_the_page(client, manager, journey):
    t = tps(journey)
    # Now 60 / 20 / 20 (NPS 40), before 30 / 30 / 40 (NPS -10): +50 against a margin of 22.6
    # (tests/metrics/test_compute.py works it out by hand).
    add_day(t["Reviews"], date(2026, 3, 10), promoters=60, passives=20, detractors=20)
    add_day(t["Reviews"], date(2026, 2, 10), promoters=30, passives=30, detractors=40)
    change = march(journey).kpis.nps_change
    assert change.difference == 50
    assert change.high - change.difference == pytest.approx(22.60, abs=0.01)
    assert change.beyond_noise
    login(client, manager)
    query = {"period": "custom", "date_from": "2026-03-02", "date_to": "2026-03-31"}
    html = client.get(URL, query).content.decode()
    tile = html.split('id="kpi-nps"')[1].split("</div>")[0]
    assert "40.0" in tile
    assert "+50.0" in tile
    assert "beyond noise" in tile


def test_a_small_change_is_within_noise(journey):
    t = tps(journey)
    add_day(t["Reviews"], date(2026, 3, 10), promoters=40, passives=30, detractors=30)
    add_day(t["Reviews"], date(2026, 2, 10), promoters=35, passives=30, detractors=35)
    change = march(journey).kpis.nps_change
    assert change.difference == 10
    assert change.enough
    assert not change.beyond_noise


def test_heatmap_cell_sums_the_touchpoints_of_its_stage_and_moment(journey, editor):
    t = tps(journey)
    buy = t["Product page"].stage
    extra = touchpoint_create(actor=editor, stage=buy, title="Reviews on the page",
                              mot_stage=MotStage.FMOT)  # fmt: skip
    add_day(t["Product page"], date(2026, 3, 5), promoters=20, passives=5, detractors=5)
    add_day(extra, date(2026, 3, 6), promoters=2, passives=3, detractors=15)
    add_day(t["Checkout"], date(2026, 3, 6), promoters=1)
    heat = march(journey).heatmap
    assert heat.by == "stage"
    assert [label for _id, label in heat.rows] == ["Research", "Buy"]
    cell = heat.cell(buy.pk, MotStage.FMOT)
    # 22 glory, 8 neutral, 20 pain of 50: score (22 - 20) / 50 = 4.
    assert cell.counts.answers == 50
    assert cell.moment.score == pytest.approx(4.0)
    assert cell.moment.enough
    assert heat.cell(buy.pk, "").moment.n == 1
    assert not heat.cell(buy.pk, "").moment.enough
    assert heat.cell(t["Reviews"].stage_id, MotStage.ZMOT) is None


def test_workspace_heatmap_rows_are_journeys(journey, editor):
    other = journey_create(actor=editor, name="Another")
    stage = stage_create(actor=editor, journey=other, name="Only")
    tp = touchpoint_create(actor=editor, stage=stage, title="Alone", mot_stage=MotStage.SMOT)
    add_day(tp, date(2026, 3, 3), passives=31)
    data = dashboard(
        workspace=journey.workspace,
        journeys=workspace_journeys(workspace_id=journey.workspace_id),
        journey=None,
        filters=DashboardFilter(period=MARCH),
    )
    assert data.heatmap.by == "journey"
    cell = data.heatmap.cell(other.pk, MotStage.SMOT)
    assert cell.moment.neutral_share == 100
    assert cell.moment.score == 0


def test_weakest_and_forgettable_moments_need_enough_answers(client, manager, journey):
    t = tps(journey)
    t["Checkout"].owner = manager
    t["Checkout"].save()
    add_day(t["Reviews"], date(2026, 3, 5), promoters=20, passives=10)  # score 66.7
    add_day(t["Product page"], date(2026, 3, 5), promoters=5, passives=20, detractors=5)  # 0
    add_day(t["Checkout"], date(2026, 3, 5), promoters=10, passives=5, detractors=15)  # -16.7
    data = march(journey)
    weakest = data.journey_moments[0].weakest
    assert weakest.touchpoint.pk == t["Checkout"].pk
    assert weakest.moment.score == pytest.approx(-100 * 5 / 30)
    assert [m.touchpoint.pk for m in data.journey_moments[0].forgettable] == [t["Product page"].pk]
    # A lower score on too few answers does not count.
    add_day(t["Reviews"], date(2026, 3, 6), detractors=1)
    stage = t["Reviews"].stage
    tiny = touchpoint_create(actor=journey.workspace.memberships.get(role=Role.EDITOR),
                             stage=stage, title="Tiny")  # fmt: skip
    add_day(tiny, date(2026, 3, 6), detractors=29)
    assert march(journey).journey_moments[0].weakest.touchpoint.pk == t["Checkout"].pk
    login(client, manager)
    query = {"journey": journey.pk, "period": "custom", "date_from": "2026-03-02",
             "date_to": "2026-03-31"}  # fmt: skip
    html = client.get(URL, query).content.decode()
    section = html.split('id="weakest-moments"')[1].split("</section>")[0]
    assert f'/w/acme/journeys/{journey.pk}/#tp-{t["Checkout"].pk}"' in section
    assert manager.display_name in section
    assert f"/w/acme/answers/?touchpoint={t['Checkout'].pk}&amp;date_from=2026-03-02" in section


def test_channel_and_moment_filters_read_the_touchpoint_rows(journey):
    t = tps(journey)
    add_day(t["Reviews"], date(2026, 3, 5), promoters=30)  # review site, ZMOT
    add_day(t["Product page"], date(2026, 3, 5), detractors=30)  # website, FMOT
    add_day(t["Checkout"], date(2026, 3, 12), passives=30)  # website, no moment
    website = march(journey, channel=Channel.WEBSITE, granularity="week")
    assert website.kpis.current.answers == 60
    assert [m.touchpoint.title for m in website.moments] == ["Product page", "Checkout"]
    assert [(p.start, p.counts.answers) for p in website.trend] == [
        (date(2026, 3, 2), 30),  # the week of Monday 2 March
        (date(2026, 3, 9), 30),
    ]
    untagged = march(journey, mot_stage="none")
    assert untagged.kpis.current == compute.Counts(answers=30, passives=30, neutral=30)
    everything = march(journey, granularity="month")
    assert [(p.start, p.counts.answers) for p in everything.trend] == [(date(2026, 3, 1), 90)]


def test_all_time_reads_the_all_time_rows_and_has_no_previous_period(journey):
    t = tps(journey)
    MomentCounts.objects.create(
        workspace_id=journey.workspace_id, journey=journey, scope=Scope.TOUCHPOINT,
        key=str(t["Reviews"].pk), day=None, answers=3, promoters=3, glory=3,
        computed_at=timezone.now(),
    )  # fmt: skip
    data = dashboard(
        workspace=journey.workspace,
        journeys=[journey],
        journey=journey,
        filters=DashboardFilter(period=Period(), journey_id=journey.pk),
    )
    assert data.kpis.current.answers == 3
    assert data.kpis.previous is None
    assert data.kpis.nps_change is None


def test_moment_impact_puts_the_costliest_trustworthy_moment_first(client, manager, journey):
    t = tps(journey)
    for title, diff, enough in (("Reviews", 10.0, True), ("Checkout", 30.0, True),
                                ("Product page", 60.0, False)):  # fmt: skip
        MomentImpact.objects.create(
            workspace_id=journey.workspace_id, touchpoint=t[title], basis="activities",
            window_days=90, glory_n=40, glory_retained=30, pain_n=40 if enough else 5,
            pain_retained=10, difference=diff, low=diff - 5, high=diff + 5, enough=enough,
            computed_at=timezone.now(),
        )  # fmt: skip
    data = march(journey)
    assert [r.touchpoint.title for r in data.impacts] == ["Checkout", "Reviews", "Product page"]
    login(client, manager)
    html = client.get(URL, {"journey": journey.pk}).content.decode()
    headline = html.split('id="impact-headline"')[1].split("</p>")[0]
    assert "Checkout" in headline
    assert "30.0" in headline


def test_pain_comments_are_the_latest_of_each_painful_moment(journey):
    t = tps(journey)
    add_day(t["Checkout"], date(2026, 3, 20), detractors=5)
    base = timezone.make_aware(timezone.datetime(2026, 3, 20, 12))

    def answer(i, *, nps=2, comment="slow", days=0, tp=t["Checkout"]):
        return Response(
            workspace_id=journey.workspace_id, touchpoint=tp, source=Source.IMPORT,
            external_id=f"a{i}", submitted_at=base + timedelta(days=days, minutes=i),
            nps=nps, comment=f"{comment} {i}",
        )  # fmt: skip

    Response.objects.bulk_create(
        [answer(i) for i in range(5)]
        + [answer(10, nps=9, comment="lovely")]  # glory: not a pain comment
        + [answer(11, days=30)]  # after the period
        + [
            Response(
                workspace_id=journey.workspace_id,
                touchpoint=t["Checkout"],
                source=Source.IMPORT,
                external_id="blank",
                nps=1,
                comment="",
                submitted_at=base + timedelta(minutes=50),
            )
        ]
    )
    pain = march(journey).pain
    assert [p.moment.touchpoint.title for p in pain] == ["Checkout"]
    assert [a.comment for a in pain[0].answers] == ["slow 4", "slow 3", "slow 2"]


def test_retention_cohorts_are_listed(client, manager, journey):
    for offset, active in enumerate([40, 20, 10]):
        RetentionCohort.objects.create(
            workspace_id=journey.workspace_id, cohort=date(2026, 1, 1), offset=offset,
            customers=40, active=active, share=100 * active / 40, basis="activities",
            computed_at=timezone.now(),
        )  # fmt: skip
    login(client, manager)
    html = client.get(URL).content.decode()
    table = html.split('id="table-retention"')[1].split("</table>")[0]
    assert ">January 2026<" in table  # the month in the page's language
    assert ">50%<" in table
    assert ">25%<" in table
    assert 'id="figure-retention"' in html


# --- small numbers and empty states ------------------------------------------------------------


def test_empty_dashboard_says_not_enough_answers(client, manager, journey):
    login(client, manager)
    html = client.get(URL, {"journey": journey.pk}).content.decode()
    assert "Not enough answers yet — 0 of 30." in html
    assert "figure-trend" not in html  # no figure drawn from nothing
    assert "No pain answers in this period." in html


def test_scores_under_the_minimum_sample_are_flagged(client, manager, journey):
    add_day(tps(journey)["Reviews"], timezone.localdate(), promoters=12)
    login(client, manager)
    html = client.get(URL).content.decode()
    tile = html.split('id="kpi-nps"')[1].split("</div>")[0]
    assert "not enough answers — 12 of 30" in tile
    assert "100.0" not in tile


def test_htmx_swaps_only_the_body(client, manager, journey):
    login(client, manager)
    response = client.get(URL, {"period": "30"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="dashboard-body"')
    assert "<html" not in html
    assert "HX-Request" in response["Vary"]


def test_the_period_in_use_is_the_one_selected(client, manager, journey):
    login(client, manager)

    def selected(params) -> str:
        html = client.get(URL, params).content.decode()
        select = html[html.index('name="period"') :]
        select = select[: select.index("</select>")]
        return select.split(" selected")[0].rsplit('value="', 1)[1].split('"')[0]

    assert selected({}) == "90"  # the default preset, not the first option
    assert selected({"date_from": "2026-01-01"}) == "custom"
    assert selected({"period": "365"}) == "365"


def test_an_empty_chart_counts_the_answers_of_its_fullest_point(client, manager, journey):
    t = tps(journey)
    today = timezone.localdate()
    for days_ago, tp in ((0, "Reviews"), (1, "Reviews"), (2, "Checkout")):  # 20 a day
        add_day(t[tp], today - timedelta(days=days_ago), promoters=10, detractors=10)
    login(client, manager)
    html = client.get(URL, {"journey": journey.pk, "period": "30"}).content.decode()
    # 60 answers in all, but no day (trend), cell or touchpoint reaches 30: the fullest has 40.
    trend = html.split('id="chart-trend"')[1].split("</figure>")[0]
    assert "Not enough answers yet — 20 of 30." in trend  # per day
    for chart in ("chart-heatmap", "chart-curve"):  # Reviews has 40 answers: these are drawn
        part = html.split(f'id="{chart}"')[1].split("</figure>")[0]
        assert "figure-" in part
        assert "Not enough answers yet" not in part
    assert "60 of 30" not in html


def test_dates_after_today_are_refused_and_the_page_still_draws(client, manager, journey):
    add_day(tps(journey)["Reviews"], timezone.localdate(), promoters=40)
    Response.objects.create(
        workspace_id=journey.workspace_id, touchpoint=tps(journey)["Reviews"], nps=0,
        source=Source.API, external_id="p1", comment="Too slow", submitted_at=timezone.now(),
    )  # fmt: skip
    login(client, manager)
    today = timezone.localdate()
    for params, refusal in (
        # Beyond every date filter's range (mot.validation.DayField), named by the field's label.
        ({"date_from": "2024-01-01", "date_to": "9999-12-31"}, "“To” must be a day from"),
        ({"date_from": (today + timedelta(days=3)).isoformat()}, "Must not be after today."),
    ):
        response = client.get(URL, params)
        assert response.status_code == 200
        html = response.content.decode()
        assert refusal in html
        period = html.split('id="dashboard-period"')[1].split("</p>")[0]
        days = int(period.split(" days)")[0].rsplit("(", 1)[1])
        assert 1 <= days <= (today - date(2024, 1, 1)).days + 1  # ends today at the latest


# --- query count -------------------------------------------------------------------------------


def _build_map(editor, journeys: int, stages: int, per_stage: int, days: int) -> None:
    """Touchpoints with daily rows, expectation rows, follow-up rows and a pain comment each, and
    each journey's recovery effect (so every query of the page runs)."""
    family, _ = Customer.objects.get_or_create(
        workspace_id=editor.workspace_id, external_id="family-1", defaults={"segment": "Families"}
    )
    answers, recovery, rated = [], [], []
    for j in range(journeys):
        journey = journey_create(actor=editor, name=f"Journey {j}")
        RecoveryEffect.objects.create(
            workspace_id=journey.workspace_id, journey=journey, basis="activities",
            window_days=90, recovered_n=40, recovered_returned=30, other_n=40,
            other_returned=20, difference=25.0, low=5.0, high=40.0, enough=True,
            computed_at=timezone.now(),
        )  # fmt: skip
        for s in range(stages):
            stage = stage_create(actor=editor, journey=journey, name=f"S{s}")
            for p in range(per_stage):
                tp = touchpoint_create(
                    actor=editor, stage=stage, title=f"T{s}.{p}", channel=Channel.WEBSITE
                )
                for d in range(days):
                    add_day(tp, timezone.localdate() - timedelta(days=d), promoters=20,
                            detractors=15)  # fmt: skip
                add_day(tp, None, promoters=20 * days, detractors=15 * days)  # all time
                rated += [
                    ExpectationCounts(
                        workspace_id=journey.workspace_id,
                        journey=journey,
                        touchpoint=tp,
                        day=timezone.localdate() - timedelta(days=d),
                        respect_pain_n=40,
                        respect_pain_sum=80,
                        respect_pain_low=30,
                        respect_glory_n=40,
                        respect_glory_sum=180,
                        respect_squares=4 * 40 + 25 * 40,
                        computed_at=timezone.now(),
                    )
                    for d in range(days)
                ]
                recovery += [
                    RecoveryCounts(
                        workspace_id=journey.workspace_id,
                        journey=journey,
                        scope=Scope.TOUCHPOINT,
                        key=str(tp.pk),
                        day=timezone.localdate() - timedelta(days=d),
                        opened=4,
                        responded=3,
                        response_seconds=3 * 7200,
                        recovered=2,
                        not_recovered=1,
                        close_seconds=3 * 86400,
                        overdue=1,
                        computed_at=timezone.now(),
                    )
                    for d in range(days)
                ]
                answers.append(
                    Response(workspace_id=journey.workspace_id, touchpoint=tp,
                             source=Source.IMPORT, external_id=f"{tp.pk}", nps=0,
                             comment="Too slow", submitted_at=timezone.now(),
                             customer=family)  # a customer of a segment, for its filter
                )  # fmt: skip
    Response.objects.bulk_create(answers)
    RecoveryCounts.objects.bulk_create(recovery)
    ExpectationCounts.objects.bulk_create(rated)


QUERIES = {"": None, "?channel=website": None, "?period=all": None, "?segment=Families": None}


@pytest.mark.parametrize("query", list(QUERIES))
def test_query_count_does_not_grow_with_the_data(
    client, manager, editor, django_assert_num_queries, query
):
    _build_map(editor, journeys=1, stages=1, per_stage=2, days=2)
    if "segment" in query:
        # The segment's answers (one pain answer a touchpoint) are enough for every panel to
        # run its query: the pain comments and the weakest moments' themes.
        Workspace.objects.filter(pk=manager.workspace_id).update(min_sample=1)
    login(client, manager)
    client.get(URL + query)  # session warm
    # 16: the follow-ups' figures per touchpoint and the recovery effect are two of them, the
    # weakest moments' comment themes one, the period's expectation sums per touchpoint one.
    with django_assert_num_queries(16) as small:
        assert client.get(URL + query).status_code == 200
    _build_map(editor, journeys=3, stages=3, per_stage=4, days=3)
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(URL + query).status_code == 200
    journey = Touchpoint.objects.order_by("-pk").first().journey_id
    with django_assert_num_queries(len(small.captured_queries)):
        assert client.get(f"{URL}{query or '?'}&journey={journey}").status_code == 200


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_has_one_row_per_touchpoint_and_is_formula_safe(client, manager, journey):
    t = tps(journey)
    t["Checkout"].title = '=HYPERLINK("http://evil.example")'
    t["Checkout"].owner = manager
    t["Checkout"].save()
    add_day(t["Checkout"], date(2026, 3, 5), promoters=20, detractors=20)
    login(client, manager)
    query = {"journey": journey.pk, "period": "custom", "date_from": "2026-03-02",
             "date_to": "2026-03-31"}  # fmt: skip
    response = client.get(EXPORT, query)
    assert response["Content-Type"].startswith("text/csv")
    assert "no-store" in response["Cache-Control"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["Touchpoint"] for r in rows] == [
        "Reviews",
        "Product page",
        '\'=HYPERLINK("http://evil.example")',
    ]
    checkout = rows[2]
    assert checkout["Period from"] == "2026-03-02"
    assert checkout["Period to"] == "2026-03-31"
    assert checkout["Answers"] == "40"
    assert checkout["NPS"] == "0.0"
    assert checkout["Moment score"] == "0.0"
    assert checkout["Pain (%)"] == "50.0"
    assert checkout["Enough answers"] == "True"
    assert checkout["Owner"] == manager.display_name
    assert checkout["Journey"] == "Online shop"
    assert rows[0]["Answers"] == "0"
    assert rows[0]["Enough answers"] == "False"


def test_plotly_js_is_a_static_file_loaded_only_by_the_dashboard(client, manager, journey):
    from django.contrib.staticfiles import finders

    library = finders.find("vendor/plotly/plotly-cartesian.min.js")
    assert finders.find("vendor/plotly/LICENSE")
    with open(library, encoding="utf-8") as vendored:
        assert "cdn" not in vendored.read().lower()  # nothing in it can reach a CDN
    login(client, manager)
    html = client.get(URL).content.decode()
    assert html.count('src="/static/vendor/plotly/plotly-cartesian.min.js"') == 1
    assert "cdn" not in html.lower()
    assert len(html) < 200_000  # never inlined (the library alone is ~1.5 MB)
    assert "plotly" not in client.get("/w/acme/journeys/").content.decode()


def test_counts_of_one_read_in_the_singular(client, manager, journey):
    today = timezone.localdate()
    add_day(tps(journey)["Reviews"], today, promoters=1, csat_answers=1, csat_top2=1, csat_sum=5)
    login(client, manager)
    html = client.get(URL, {"date_from": today.isoformat(), "date_to": today.isoformat()})
    html = html.content.decode()
    period = html.split('id="dashboard-period"')[1].split("</p>")[0]
    assert "(1 day)" in period
    nps = html.split('id="kpi-nps"')[1].split("</div>")[0]
    assert "1 NPS answer<" in nps
    csat = html.split('id="kpi-csat"')[1].split("</div>")[0]
    assert "1 CSAT answer<" in csat
    assert "1 NPS answers" not in html
    assert "1 CSAT answers" not in html
