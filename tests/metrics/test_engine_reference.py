"""The stored moment counts against an independent reference, on random data.

The reference below is a deliberately plain pandas computation from the raw answers (one row
per answer, read with ``values_list``) and the definitions of product.md ("Metrics"): it uses
neither ``metrics.compute`` nor ``metrics.engine`` nor ``feedback.experience``, so a mistake in
one of them cannot hide behind the same mistake here. The same tests run on SQLite and on
PostgreSQL (CI sets DATABASE_URL); on PostgreSQL one variant also forces the engine's COPY path.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import pytest
from django.utils import timezone

from feedback.models import Activity, Customer, Response, Source
from journeys.models import Journey, MotStage, Stage, Touchpoint
from metrics import engine
from metrics.models import MomentCounts, MomentImpact, RetentionCohort
from mot.models import Workspace

COUNTS = [
    "answers",
    "promoters",
    "passives",
    "detractors",
    "csat_answers",
    "csat_top2",
    "csat_sum",
    "ces_answers",
    "ces_easy",
    "ces_sum",
    "glory",
    "neutral",
    "pain",
]
DERIVED = [
    "nps",
    "nps_margin",
    "csat_top2_share",
    "csat_mean",
    "ces_easy_share",
    "ces_mean",
    "glory_share",
    "neutral_share",
    "pain_share",
    "moment_score",
    "enough",
]
KEY = ["scope", "journey_id", "key", "day"]
# Everything a recompute writes except what is expected to differ from run to run.
COMPARED = [*KEY, *COUNTS, *DERIVED, "window_start", "window_end"]
MOTS = ["", *MotStage.values]
FIRST_DAY = date(2026, 3, 1)
DAYS = 6
MIN_SAMPLE = 30
# Scopes stored by day too; stages and MOT stages have all-time rows only (no page reads them
# by day).
DAILY_SCOPES = {"touchpoint", "journey", "workspace"}


# --- the reference ------------------------------------------------------------------------------


def _reference_derived(c: dict, min_sample: int) -> dict:
    """product.md's definitions, written out from scratch."""
    n_nps = c["promoters"] + c["passives"] + c["detractors"]
    nps = margin = None
    if n_nps:
        p, d = c["promoters"] / n_nps, c["detractors"] / n_nps
        nps = (p - d) * 100
        margin = 1.96 * math.sqrt((p + d - (p - d) ** 2) / n_nps) * 100
    n_csat = c["csat_answers"]
    n_ces = c["ces_answers"]
    n = c["answers"]
    return {
        "nps": nps,
        "nps_margin": margin,
        "csat_top2_share": 100 * c["csat_top2"] / n_csat if n_csat else None,
        "csat_mean": c["csat_sum"] / n_csat if n_csat else None,
        # CES: the agree side of the 7-point scale (5, 6, 7) is "easy"; the mean on 1-7.
        "ces_easy_share": 100 * c["ces_easy"] / n_ces if n_ces else None,
        "ces_mean": c["ces_sum"] / n_ces if n_ces else None,
        "glory_share": 100 * c["glory"] / n,
        "neutral_share": 100 * c["neutral"] / n,
        "pain_share": 100 * c["pain"] / n,
        "moment_score": 100 * (c["glory"] - c["pain"]) / n,
        "enough": n >= min_sample,
    }


def reference_rows(workspace_id: int, min_sample: int) -> dict[tuple, dict]:
    """Every (scope, journey, key, day) the engine should store, with its values; day None is
    the all-time row. Daily rows (DAILY_SCOPES only) carry counts only (readers sum days, then
    derive)."""
    records = Response.objects.filter(workspace_id=workspace_id).values_list(
        "touchpoint_id",
        "touchpoint__stage_id",
        "touchpoint__journey_id",
        "touchpoint__mot_stage",
        "submitted_at",
        "nps",
        "csat",
        "ces",
    )
    df = pd.DataFrame.from_records(
        list(records),
        columns=[
            "touchpoint",
            "stage",
            "journey",
            "mot_stage",
            "submitted_at",
            "nps",
            "csat",
            "ces",
        ],
    )
    if df.empty:
        return {}
    df["day"] = [timezone.localdate(t) for t in df["submitted_at"]]
    nps, csat = df["nps"].astype("float64"), df["csat"].astype("float64")
    has_nps, has_csat = nps.notna(), csat.notna()
    only_csat = ~has_nps & has_csat
    df["answers"] = 1
    df["promoters"] = nps >= 9
    df["passives"] = (nps >= 7) & (nps <= 8)
    df["detractors"] = has_nps & (nps <= 6)
    df["csat_answers"] = has_csat
    df["csat_top2"] = csat >= 4
    df["csat_sum"] = csat.fillna(0)
    ces = df["ces"].astype("float64")
    df["ces_answers"] = ces.notna()
    df["ces_easy"] = ces >= 5
    df["ces_sum"] = ces.fillna(0)
    # NPS decides when given (9-10 / 7-8 / 0-6); otherwise CSAT (5 / 3-4 / 1-2).
    df["glory"] = (nps >= 9) | (only_csat & (csat == 5))
    df["neutral"] = ((nps >= 7) & (nps <= 8)) | (only_csat & (csat >= 3) & (csat <= 4))
    df["pain"] = (has_nps & (nps <= 6)) | (only_csat & (csat <= 2))
    df["workspace_wide"] = 0  # one group for the workspace-wide scopes

    scopes = [  # scope, grouped by (journey column or None, key column or None)
        ("touchpoint", "journey", "touchpoint"),
        ("stage", "journey", "stage"),
        ("mot_stage", "journey", "mot_stage"),
        ("journey", "journey", "journey"),
        ("mot_stage", None, "mot_stage"),
        ("workspace", None, None),
    ]
    expected: dict[tuple, dict] = {}
    for scope, journey_column, key_column in scopes:
        by = [journey_column or "workspace_wide", key_column or "workspace_wide"]
        for (journey, key), group in df.groupby(by):
            journey_id = int(journey) if journey_column else None
            key_text = str(key) if key_column else ""
            total = {name: int(group[name].sum()) for name in COUNTS}
            expected[(scope, journey_id, key_text, None)] = {
                **total,
                **_reference_derived(total, min_sample),
            }
            if scope not in DAILY_SCOPES:
                continue
            for day, daily in group.groupby("day"):
                counts = {name: int(daily[name].sum()) for name in COUNTS}
                expected[(scope, journey_id, key_text, day)] = {
                    **counts,
                    **dict.fromkeys(DERIVED, None),
                    "enough": False,
                }
    return expected


# --- stored rows and data -----------------------------------------------------------------------


def stored_rows(workspace_id: int, fields=COMPARED) -> dict[tuple, dict]:
    rows = list(MomentCounts.objects.filter(workspace_id=workspace_id).values(*fields))
    keyed = {tuple(row[k] for k in KEY): row for row in rows}
    assert len(keyed) == len(rows), "two stored rows share a (scope, journey, key, day)"
    return keyed


def mismatches(stored: dict[tuple, dict], expected: dict[tuple, dict]) -> list[str]:
    problems = []
    missing, extra = expected.keys() - stored.keys(), stored.keys() - expected.keys()
    problems += [f"missing row {k}" for k in sorted(missing, key=repr)]
    problems += [f"unexpected row {k}" for k in sorted(extra, key=repr)]
    for k in expected.keys() & stored.keys():
        for name, want in expected[k].items():
            got = stored[k][name]
            if want is None or isinstance(want, bool):
                ok = got is want or (got == want and want is not None)
            elif isinstance(want, float):
                # product.md writes the 97.5% normal quantile as 1.96 (1.959964 to 6 digits).
                rel = 1e-4 if name == "nps_margin" else 1e-9
                ok = got is not None and got == pytest.approx(want, rel=rel, abs=1e-9)
            else:
                ok = got == want
            if not ok:
                problems.append(f"{k} {name}: stored {got!r}, reference {want!r}")
    return problems


def _at(day: date, rnd: random.Random) -> datetime:
    # Some answers a second either side of midnight, where a wrong day boundary would show.
    seconds = rnd.choice([0, 1, 86_399, rnd.randrange(86_400), rnd.randrange(86_400)])
    return datetime.combine(day, time(), tzinfo=UTC) + timedelta(seconds=seconds)


def build(workspace: Workspace, seed: int, *, answers: int = 500) -> list[Touchpoint]:
    """A random map (3-4 journeys, 1-3 stages each, 1-4 touchpoints a stage, some untagged) and
    answers over DAYS days: NPS only, CSAT only, or both, and for about half of them a CES
    (drawn from a generator of its own, so the other values are those of the seed before CES).
    One journey and a few touchpoints get no answers. Returns the touchpoints that have
    answers."""
    rnd = random.Random(seed)
    ces_rnd = random.Random(seed + 10_000)
    workspace.min_sample = MIN_SAMPLE
    workspace.save(update_fields=["min_sample"])
    touchpoints: list[Touchpoint] = []
    for j in range(rnd.randint(3, 4)):
        journey = Journey.objects.create(workspace=workspace, name=f"Journey {seed}.{j}")
        for s in range(rnd.randint(1, 3)):
            stage = Stage.objects.create(journey=journey, name=f"Stage {s}", position=s)
            for p in range(rnd.randint(1, 4)):
                touchpoints.append(
                    Touchpoint.objects.create(
                        journey=journey,
                        stage=stage,
                        position=p,
                        title=f"Touchpoint {j}.{s}.{p}",
                        mot_stage=rnd.choice(MOTS),
                    )
                )
    # Every journey but the last has an untagged touchpoint and one tagged FMOT, so MOT stages
    # (and "not tagged") add up across journeys.
    journeys = sorted({tp.journey_id for tp in touchpoints})
    for journey_id in journeys[:-1]:
        mine = [tp for tp in touchpoints if tp.journey_id == journey_id]
        mine[0].mot_stage = ""
        mine[-1].mot_stage = MotStage.FMOT if len(mine) > 1 else ""
    Touchpoint.objects.bulk_update(touchpoints, ["mot_stage"])

    answered = [tp for tp in touchpoints if tp.journey_id != journeys[-1]]
    answered = [tp for i, tp in enumerate(answered) if i % 7 != 5]  # a few stay silent
    weights = [rnd.choice([1, 3, 12]) for _ in answered]  # some reach MIN_SAMPLE, some do not
    rows = []
    for i in range(answers):
        tp = rnd.choices(answered, weights)[0]
        kind = rnd.random()
        nps = rnd.randint(0, 10) if kind < 0.75 else None
        csat = rnd.randint(1, 5) if kind >= 0.45 else None
        rows.append(
            Response(
                workspace=workspace,
                touchpoint=tp,
                source=Source.API,
                external_id=f"s{seed}-{i}",
                submitted_at=_at(FIRST_DAY + timedelta(days=rnd.randrange(DAYS)), rnd),
                nps=nps,
                csat=csat,
                ces=ces_rnd.randint(1, 7) if ces_rnd.random() < 0.5 else None,
            )
        )
    Response.objects.bulk_create(rows)
    return sorted({r.touchpoint for r in rows}, key=lambda tp: tp.pk)


# The engine may write small sets with bulk_create and large ones with COPY (PostgreSQL); when it
# has such a threshold, "copy" sends every set through COPY. On SQLite both are the same.
WRITERS = ["default", "copy"] if hasattr(engine, "COPY_THRESHOLD") else ["default"]


@pytest.fixture(params=WRITERS)
def writer(request, monkeypatch):
    if request.param == "copy":
        monkeypatch.setattr(engine, "COPY_THRESHOLD", 0)
    return request.param


@pytest.fixture
def globex(other_workspace):
    """Another workspace with answers and metric rows of its own."""
    build(other_workspace, seed=99, answers=120)
    engine.recompute_counts(other_workspace.pk)
    return other_workspace


def all_fields(workspace_id: int) -> list[dict]:
    return list(MomentCounts.objects.filter(workspace_id=workspace_id).order_by("pk").values())


# --- tests --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_stored_rows_match_the_reference(db, workspace, globex, writer, seed):
    build(workspace, seed)

    written = engine.recompute_counts(workspace.pk)

    stored = stored_rows(workspace.pk)
    expected = reference_rows(workspace.pk, MIN_SAMPLE)
    assert written == len(stored)
    assert mismatches(stored, expected) == []
    # The data covers what the test means to cover.
    all_time = [k for k in expected if k[3] is None]
    assert {k[0] for k in all_time} == {"touchpoint", "stage", "mot_stage", "journey", "workspace"}
    assert ("mot_stage", None, "", None) in expected
    assert {expected[k]["enough"] for k in all_time} == {True, False}
    # Daily rows add up to the all-time row of their scope.
    for key, row in stored.items():
        if key[3] is None and key[0] in DAILY_SCOPES:
            days = [r for k, r in stored.items() if k[:3] == key[:3] and k[3] is not None]
            assert {n: sum(d[n] for d in days) for n in COUNTS} == {n: row[n] for n in COUNTS}


def test_the_window_is_the_workspace_s_first_and_last_answer(db, workspace):
    build(workspace, seed=4)
    engine.recompute_counts(workspace.pk)

    answers = Response.objects.filter(workspace=workspace)
    times = list(answers.values_list("submitted_at", flat=True))
    windows = set(
        MomentCounts.objects.filter(workspace=workspace).values_list("window_start", "window_end")
    )
    assert windows == {(min(times), max(times))}


def test_recomputing_twice_gives_identical_rows(db, workspace, globex, writer):
    build(workspace, seed=5)
    engine.recompute_counts(workspace.pk)
    first = stored_rows(workspace.pk)

    engine.recompute_counts(workspace.pk)
    assert stored_rows(workspace.pk) == first

    # Journey by journey, or all journeys named, gives the same rows as the full recompute.
    journey_ids = list(Journey.objects.filter(workspace=workspace).values_list("pk", flat=True))
    for journey_id in journey_ids:
        engine.recompute_counts(workspace.pk, journey_ids=[journey_id])
        assert stored_rows(workspace.pk) == first
    engine.recompute_counts(workspace.pk, journey_ids=journey_ids)
    assert stored_rows(workspace.pk) == first


@pytest.mark.parametrize("seed", [6, 7])
def test_one_new_answer_changes_only_its_own_rows(db, workspace, globex, writer, seed):
    answered = build(workspace, seed)
    engine.recompute_counts(workspace.pk)
    before = stored_rows(workspace.pk)
    other_before = all_fields(globex.pk)

    # A touchpoint that shares its journey with another answered touchpoint, so the journey has
    # rows the recompute must rewrite unchanged.
    rnd = random.Random(seed)
    tp = rnd.choice(
        [t for t in answered if sum(o.journey_id == t.journey_id for o in answered) > 1]
    )
    day = FIRST_DAY + timedelta(days=DAYS // 2)  # inside the data window: it does not move
    Response.objects.create(
        workspace=workspace,
        touchpoint=tp,
        source=Source.API,
        external_id="the-new-one",
        submitted_at=datetime.combine(day, time(12), tzinfo=UTC),
        nps=0,
        ces=6,
    )
    engine.recompute_counts(workspace.pk, journey_ids=[tp.journey_id])
    after = stored_rows(workspace.pk)

    affected = {
        (scope, journey, key, when)
        for scope, journey, key in [
            ("touchpoint", tp.journey_id, str(tp.pk)),
            ("stage", tp.journey_id, str(tp.stage_id)),
            ("mot_stage", tp.journey_id, tp.mot_stage),
            ("journey", tp.journey_id, str(tp.journey_id)),
            ("mot_stage", None, tp.mot_stage),
            ("workspace", None, ""),
        ]
        for when in (None, day)
    }
    assert after.keys() - before.keys() <= affected  # that day may be a new day for some
    assert before.keys() <= after.keys()
    for key in after:
        if key in affected:
            was = before.get(key, dict.fromkeys(COUNTS, 0))
            assert after[key]["answers"] == was["answers"] + 1, key
            assert after[key]["detractors"] == was["detractors"] + 1, key
            assert after[key]["pain"] == was["pain"] + 1, key
            assert after[key]["ces_answers"] == was["ces_answers"] + 1, key
            assert after[key]["ces_easy"] == was["ces_easy"] + 1, key
            assert after[key]["ces_sum"] == was["ces_sum"] + 6, key
        else:
            assert after[key] == before[key], key
    assert mismatches(after, reference_rows(workspace.pk, MIN_SAMPLE)) == []
    # Another workspace's rows are never touched: same ids, same computed_at.
    assert all_fields(globex.pk) == other_before

    # The incremental result is the full recompute's.
    engine.recompute_counts(workspace.pk)
    assert stored_rows(workspace.pk) == after
    assert all_fields(globex.pk) == other_before


def test_a_journey_recompute_ignores_another_workspace_s_journey(db, workspace, globex):
    build(workspace, seed=8)
    engine.recompute_counts(workspace.pk)
    before, other_before = stored_rows(workspace.pk), all_fields(globex.pk)
    foreign = list(Journey.objects.filter(workspace=globex).values_list("pk", flat=True))

    engine.recompute_counts(workspace.pk, journey_ids=foreign)

    assert stored_rows(workspace.pk) == before
    assert all_fields(globex.pk) == other_before


def test_a_journey_whose_answers_are_gone_loses_its_rows(db, workspace, globex):
    answered = build(workspace, seed=9)
    engine.recompute_counts(workspace.pk)
    journey_id = answered[0].journey_id
    Response.objects.filter(workspace=workspace, touchpoint__journey_id=journey_id).delete()

    engine.recompute_counts(workspace.pk, journey_ids=[journey_id])

    stored = stored_rows(workspace.pk)
    assert not [k for k in stored if k[1] == journey_id]
    assert mismatches(stored, reference_rows(workspace.pk, MIN_SAMPLE)) == []


def test_a_workspace_without_answers_has_no_rows(db, workspace, globex):
    assert engine.recompute_counts(workspace.pk) == 0
    assert stored_rows(workspace.pk) == {}


def test_retention_cohorts_are_stored_through_copy_too(db, workspace, writer):
    """Two years of activity, stored by bulk_create or (on PostgreSQL, "copy") by COPY, as a
    workspace with more than COPY_THRESHOLD cohort rows (five years and more) would be."""
    customers = Customer.objects.bulk_create(
        [Customer(workspace=workspace, external_id=f"c{m}") for m in range(24)]
    )
    Activity.objects.bulk_create(
        [
            Activity(
                workspace=workspace,
                customer=customer,
                occurred_at=datetime(2024 + (m + k) // 12, (m + k) % 12 + 1, 5, tzinfo=UTC),
                kind="purchase",
                external_id=f"a{m}-{k}",
            )
            for m, customer in enumerate(customers)
            for k in range(0, 24 - m, 3)
        ]
    )

    written = engine.recompute_retention(workspace.pk, as_of=date(2026, 1, 1))

    assert written == 24 * 25 // 2  # cohort m is followed from month m to the last month
    assert RetentionCohort.objects.filter(workspace=workspace).count() == written
    assert RetentionCohort.objects.filter(workspace=workspace, offset=0).count() == 24


def test_impact_counts_a_customer_by_their_latest_answer_there(db, workspace, journey):
    """recompute_impact's docstring: "customers whose latest answer there was glory (pain)". A
    customer whose pain answer was followed by a neutral one at the same touchpoint is in neither
    group; one whose pain was followed by glory is in the glory group only."""
    tp = journey.touchpoints.get(title="Reviews")
    start = datetime(2026, 1, 5, 12, tzinfo=UTC)
    recovered, neutral_now = Customer.objects.bulk_create(
        [Customer(workspace=workspace, external_id=e) for e in ("recovered", "neutral-now")]
    )
    answers = [
        (recovered, 0, None, 0),  # pain ...
        (recovered, 10, None, 10),  # ... then glory
        (neutral_now, 1, None, 0),  # pain ...
        (neutral_now, 8, None, 10),  # ... then neutral
    ]
    Response.objects.bulk_create(
        [
            Response(
                workspace=workspace,
                touchpoint=tp,
                customer=customer,
                source=Source.API,
                external_id=f"i{i}",
                submitted_at=start + timedelta(days=days),
                nps=nps,
                csat=csat,
            )
            for i, (customer, nps, csat, days) in enumerate(answers)
        ]
    )
    Activity.objects.bulk_create(
        [
            Activity(
                workspace=workspace,
                customer=customer,
                occurred_at=start + timedelta(days=20),
                kind="purchase",
                external_id=f"a-{customer.external_id}",
            )
            for customer in (recovered, neutral_now)
        ]
    )

    engine.recompute_impact(workspace.pk)

    row = MomentImpact.objects.filter(touchpoint=tp).first()
    assert row is not None
    assert (row.glory_n, row.glory_retained, row.pain_n, row.pain_retained) == (1, 1, 0, 0)
