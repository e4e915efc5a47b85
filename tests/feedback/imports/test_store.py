"""Storing validated import records: idempotent, first occurrence wins, workspace-safe.

The tests without a marker run on whichever database the suite uses (the COPY path on
PostgreSQL, batches on SQLite); those needing PostgreSQL pin the COPY path's own behaviour.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, connections, transaction

from feedback.imports import store
from feedback.imports.store import StoreRefused, StoreResult, store_records
from feedback.imports.types import ActivityIn, Target
from feedback.models import Activity, Customer, Response, Source
from feedback.services import AnswerIn
from journeys.models import Touchpoint
from journeys.services import journey_create, stage_create, touchpoint_create

WHEN = datetime(2026, 5, 4, 10, 30, tzinfo=UTC)


def answer(tp, external_id: str, **fields) -> AnswerIn:
    fields.setdefault("nps", 9)
    tp_id = tp if isinstance(tp, int) else tp.pk
    return AnswerIn(touchpoint_id=tp_id, external_id=external_id, submitted_at=WHEN, **fields)


def activity(external_id: str, customer: str = "c-1", **fields) -> ActivityIn:
    fields.setdefault("occurred_at", WHEN)
    fields.setdefault("kind", "purchase")
    return ActivityIn(customer=customer, external_id=external_id, **fields)


def store_answers(workspace, answers, **kwargs) -> StoreResult:
    with transaction.atomic():
        return store_records(
            workspace_id=workspace.pk, target=Target.RESPONSES, records=answers, **kwargs
        )


def store_activities(workspace, activities, **kwargs) -> StoreResult:
    with transaction.atomic():
        return store_records(
            workspace_id=workspace.pk, target=Target.ACTIVITIES, records=activities, **kwargs
        )


@pytest.fixture
def tps(journey):
    return list(journey.touchpoints.order_by("pk"))


@pytest.fixture
def foreign_tp(outsider):
    journey = journey_create(actor=outsider, name="Theirs")
    stage = stage_create(actor=outsider, journey=journey, name="Only")
    return touchpoint_create(actor=outsider, stage=stage, title="Their checkout")


def test_answers_are_stored_with_all_their_fields(workspace, tps):
    result = store_answers(
        workspace,
        iter(  # a generator, as the pipeline passes
            [
                answer(
                    tps[0],
                    "a1",
                    nps=10,
                    csat=5,
                    respect=4,
                    solutions=3,
                    simplicity=2,
                    responsibility=1,
                    ces=6,
                    comment="Tab\there, new\nline, back\\slash, «ünïcode»",
                    language="fr",
                    customer="c-7",
                ),
                answer(tps[1], "a2", nps=None, csat=2),
            ]
        ),
    )

    assert result == StoreResult(created=2, duplicates=0)
    a1, a2 = Response.objects.order_by("external_id")
    assert (a1.workspace_id, a1.touchpoint_id, a1.source, a1.submitted_at) == (
        workspace.pk,
        tps[0].pk,
        Source.IMPORT,
        WHEN,
    )
    assert (a1.nps, a1.csat, a1.respect, a1.solutions, a1.simplicity, a1.responsibility) == (
        10,
        5,
        4,
        3,
        2,
        1,
    )
    assert (a1.ces, a2.ces) == (6, None)
    assert a1.comment == "Tab\there, new\nline, back\\slash, «ünïcode»"
    assert (a1.language, a1.customer.external_id) == ("fr", "c-7")
    assert (a2.nps, a2.csat, a2.customer, a2.comment) == (None, 2, None, "")
    assert a1.created_at is not None


def test_the_source_is_the_one_given(workspace, tps):
    store_answers(workspace, [answer(tps[0], "a1")], source=Source.API)

    assert Response.objects.get().source == Source.API


def test_importing_the_same_answers_again_adds_nothing(workspace, tps):
    answers = [answer(tps[i % 3], f"a{i}", customer=f"c{i % 2}") for i in range(10)]
    store_answers(workspace, answers)

    again = store_answers(workspace, answers)

    assert again == StoreResult(created=0, duplicates=10)
    assert Response.objects.count() == 10
    assert Customer.objects.count() == 2


def test_a_repeat_in_one_import_is_stored_once_and_the_first_wins(workspace, tps):
    result = store_answers(
        workspace,
        [answer(tps[0], "a1", nps=1), answer(tps[1], "a2"), answer(tps[2], "a1", nps=7)],
    )

    assert result == StoreResult(created=2, duplicates=1)
    first = Response.objects.get(external_id="a1")
    assert (first.nps, first.touchpoint_id) == (1, tps[0].pk)


def test_a_repeat_further_than_one_batch_away_is_a_duplicate(workspace, tps):
    answers = [answer(tps[0], f"a{i}") for i in range(store.BATCH + 5)]
    answers.append(answer(tps[1], "a0", nps=0))

    result = store_answers(workspace, answers)

    assert result == StoreResult(created=store.BATCH + 5, duplicates=1)
    assert Response.objects.get(external_id="a0").nps == 9


def test_the_same_id_from_another_source_is_another_answer(workspace, tps):
    store_answers(workspace, [answer(tps[0], "a1")], source=Source.API)

    result = store_answers(workspace, [answer(tps[0], "a1")])

    assert result == StoreResult(created=1, duplicates=0)


def test_customers_are_created_once_and_existing_ones_reused(workspace, tps):
    known = Customer.objects.create(workspace=workspace, external_id="c-known")

    store_answers(
        workspace,
        [
            answer(tps[0], "a1", customer="c-new"),
            answer(tps[1], "a2", customer="c-new"),
            answer(tps[2], "a3", customer="c-known"),
            answer(tps[0], "a4"),
        ],
    )

    assert sorted(Customer.objects.values_list("external_id", flat=True)) == ["c-known", "c-new"]
    by_id = {r.external_id: r.customer_id for r in Response.objects.all()}
    new = Customer.objects.get(external_id="c-new").pk
    assert by_id == {"a1": new, "a2": new, "a3": known.pk, "a4": None}


def test_customers_of_another_workspace_are_not_reused(workspace, other_workspace, tps):
    Customer.objects.create(workspace=other_workspace, external_id="c-1")

    store_answers(workspace, [answer(tps[0], "a1", customer="c-1")])

    assert Response.objects.get().customer.workspace_id == workspace.pk


@pytest.mark.parametrize("before", [5, 20])  # on PostgreSQL: in the first chunk, or the third
def test_a_touchpoint_of_another_workspace_is_refused_and_nothing_written(
    workspace, tps, foreign_tp, before, monkeypatch
):
    monkeypatch.setattr(store, "CHUNK", 7)  # the chunks stored before it are undone too
    answers = [answer(tps[0], f"a{i}", customer=f"c{i}") for i in range(before)]
    answers.append(answer(foreign_tp, "sneaky"))

    with transaction.atomic():
        with pytest.raises(StoreRefused, match=str(foreign_tp.pk)):
            store_records(workspace_id=workspace.pk, target=Target.RESPONSES, records=answers)
        # The caller caught the refusal and goes on: its transaction holds nothing of it.
        assert Response.objects.count() == 0
        assert Customer.objects.count() == 0
    assert isinstance(StoreRefused("x"), ValueError)
    assert not [t for t in threading.enumerate() if t.name == "mot-import-draw"]


@pytest.mark.django_db(transaction=True)
def test_a_touchpoint_deleted_during_the_import_is_refused(workspace, tps):
    # Committed data: on PostgreSQL the records are drawn by a thread with a connection of its
    # own, so this deletion is another user's, made while the import runs.
    def answers():
        yield answer(tps[0], "a1")
        Touchpoint.objects.filter(pk=tps[1].pk).delete()
        yield answer(tps[1], "a2")

    with pytest.raises(StoreRefused):
        store_answers(workspace, answers())

    assert Response.objects.count() == 0


def test_an_unknown_touchpoint_is_refused(workspace, tps):
    with pytest.raises(StoreRefused, match="999999"):
        store_answers(workspace, [answer(999_999, "a1")])


def test_nothing_to_store_stores_nothing(workspace):
    assert store_answers(workspace, iter([])) == StoreResult(0, 0)
    assert store_activities(workspace, []) == StoreResult(0, 0)


def test_progress_is_reported_as_records_are_consumed(workspace, tps, monkeypatch):
    monkeypatch.setattr(store, "PROGRESS_EVERY", 4)
    seen = []

    store_answers(workspace, (answer(tps[0], f"a{i}") for i in range(10)), on_batch=seen.append)

    assert seen == [4, 8, 10]


def test_activities_are_stored_with_customers_created_on_the_fly(workspace):
    result = store_activities(
        workspace,
        iter(
            [
                activity("p1", "c-1", value=Decimal("19.90")),
                activity("p2", "c-1", kind="renewal"),
                activity("p3", "c-2", value=Decimal("-5.00")),
            ]
        ),
    )

    assert result == StoreResult(created=3, duplicates=0)
    stored = {a.external_id: a for a in Activity.objects.select_related("customer")}
    assert stored["p1"].value == Decimal("19.90")
    assert (stored["p2"].kind, stored["p2"].value) == ("renewal", None)
    assert stored["p3"].customer.external_id == "c-2"
    assert stored["p1"].occurred_at == WHEN
    assert Customer.objects.filter(workspace=workspace).count() == 2


def test_activities_imported_again_or_repeated_are_duplicates(workspace):
    store_activities(workspace, [activity("p1", value=Decimal(1)), activity("p2")])

    result = store_activities(
        workspace, [activity("p1"), activity("p3", value=Decimal(3)), activity("p3")]
    )

    assert result == StoreResult(created=1, duplicates=2)
    assert Activity.objects.count() == 3
    assert Activity.objects.get(external_id="p3").value == Decimal(3)


# --- PostgreSQL's COPY path ---------------------------------------------------------------


def test_copy_path_can_store_twice_in_one_transaction(require_postgres, workspace, tps):
    with transaction.atomic():
        first = store_records(
            workspace_id=workspace.pk,
            target=Target.RESPONSES,
            records=[answer(tps[0], "a1"), answer(tps[0], "a2")],
        )
        second = store_records(
            workspace_id=workspace.pk,
            target=Target.RESPONSES,
            records=[answer(tps[0], "a2"), answer(tps[0], "a3")],
        )

    assert (first, second) == (StoreResult(2, 0), StoreResult(1, 1))


def test_copy_path_leaves_no_staging_table_behind(require_postgres, workspace, tps):
    store_answers(workspace, [answer(tps[0], "a1")])
    store_activities(workspace, [activity("p1")])

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relname LIKE 'mot_staging_%%'")
        assert cursor.fetchone()[0] == 0


def test_copy_path_keeps_the_first_of_many_repeats(require_postgres, workspace, tps):
    answers = [answer(tps[i % 3], f"a{i % 50}", nps=i % 11) for i in range(500)]

    result = store_answers(workspace, answers)

    assert result == StoreResult(created=50, duplicates=450)
    assert {r.external_id: r.nps for r in Response.objects.all()} == {
        f"a{i}": i % 11 for i in range(50)
    }


@pytest.mark.django_db(transaction=True)
def test_concurrent_imports_of_the_same_answers_store_each_once(require_postgres, journey):
    workspace_id = journey.workspace_id
    tp_ids = list(journey.touchpoints.values_list("pk", flat=True))
    answers = [answer(tp_ids[i % 3], f"a{i}", customer=f"c{i % 40}") for i in range(2_000)]
    results, errors = [], []
    ready = threading.Barrier(2)

    def run(order):
        try:
            ready.wait()
            with transaction.atomic():
                results.append(
                    store_records(workspace_id=workspace_id, target=Target.RESPONSES, records=order)
                )
        except Exception as exc:  # reported below, from the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(answers,)),
        threading.Thread(target=run, args=(answers[::-1],)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert sum(r.created for r in results) == 2_000
    assert sum(r.duplicates for r in results) == 2_000
    assert Response.objects.count() == 2_000
    assert Customer.objects.count() == 40


# --- chunks (PostgreSQL: each chunk is stored while the next one is drawn) -----------------


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(store, "CHUNK", 7)


def test_repeats_in_later_chunks_are_duplicates_and_the_first_wins(
    require_postgres, small_chunks, workspace, tps
):
    answers = [
        answer(tps[i % 3], f"a{i % 10}", nps=i % 11, customer=f"c{i % 4}") for i in range(30)
    ]

    result = store_answers(workspace, answers)

    assert result == StoreResult(created=10, duplicates=20)
    assert {r.external_id: r.nps for r in Response.objects.all()} == {f"a{i}": i for i in range(10)}
    assert Customer.objects.count() == 4
    assert store_answers(workspace, answers) == StoreResult(created=0, duplicates=30)


def test_activities_over_several_chunks(require_postgres, small_chunks, workspace):
    activities = [activity(f"p{i % 12}", f"c{i % 5}") for i in range(30)]

    assert store_activities(workspace, activities) == StoreResult(created=12, duplicates=18)
    assert Customer.objects.count() == 5


@pytest.mark.django_db(transaction=True)
def test_imports_into_one_workspace_take_turns(require_postgres, journey):
    """The second import waits for the first to commit (no deadlock over their keys), then
    finds every answer stored."""
    workspace_id = journey.workspace_id
    tp_id = journey.touchpoints.values_list("pk", flat=True).first()
    first_stored, second_started = threading.Event(), threading.Event()
    results, errors = {}, []

    def first():
        try:
            with transaction.atomic():
                results["first"] = store_records(
                    workspace_id=workspace_id,
                    target=Target.RESPONSES,
                    records=[answer(tp_id, "a1"), answer(tp_id, "a2")],
                )
                first_stored.set()
                second_started.wait(5)
                time.sleep(0.3)  # the second is waiting on the lock by now
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def second():
        try:
            first_stored.wait(5)
            second_started.set()
            with transaction.atomic():
                results["second"] = store_records(
                    workspace_id=workspace_id,
                    target=Target.RESPONSES,
                    records=[answer(tp_id, "a2"), answer(tp_id, "a1")],
                )
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert errors == []
    assert results == {"first": StoreResult(2, 0), "second": StoreResult(0, 2)}


def test_the_callers_foreign_keys_are_deferred_again_after_the_store(
    require_postgres, workspace, tps
):
    # The store checks its own rows' foreign keys as it goes (immediate), then gives the
    # caller's transaction back as it was: a dangling reference is still only refused when
    # the constraints are checked, at commit.
    with transaction.atomic():
        store_answers(workspace, [answer(tps[0], "a1", customer="c-1")])
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO feedback_customer (workspace_id, external_id, created_at) "
                "VALUES (%s, 'dangling', now())",
                [workspace.pk + 1000],
            )
            with pytest.raises(IntegrityError), transaction.atomic():
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("DELETE FROM feedback_customer WHERE external_id = 'dangling'")
