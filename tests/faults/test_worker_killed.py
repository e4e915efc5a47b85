"""A worker killed with SIGKILL, mid-run or while holding a queued run: the watchdog queues the
work again, a new worker does it, and the metrics end as a clean run leaves them (fault 3)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from feedback.models import Source
from feedback.services import AnswerIn, responses_ingest
from metrics import services
from metrics.models import MomentCounts, MonthCounts, RecomputeRun
from metrics.services import RunState, requeue_stalled_runs, run_state
from tests.conftest import wait_for

pytestmark = [
    pytest.mark.faults,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def quick_watchdog(settings):
    settings.METRICS_COALESCE_SECONDS = 1
    settings.METRICS_WATCHDOG_SECONDS = 2
    return settings


def _answer(journey, n: int) -> None:
    tps = list(journey.touchpoints.order_by("pk"))
    responses_ingest(
        workspace_id=journey.workspace_id,
        source=Source.API,
        answers=[
            AnswerIn(
                touchpoint_id=tps[i % len(tps)].pk,
                external_id=f"k{i}",
                submitted_at=datetime(2026, 3, 1 + i % 20, 10, tzinfo=UTC),
                nps=i % 11,
            )
            for i in range(n)
        ],
    )


def _rows(workspace_id: int) -> set[tuple]:
    fields = ("scope", "key", "day", "answers", "glory", "neutral", "pain", "promoters")
    return {
        *MomentCounts.objects.filter(workspace_id=workspace_id).values_list(*fields),
        *MonthCounts.objects.filter(workspace_id=workspace_id).values_list(
            "touchpoint_id", "month", "answers", "glory", "pain"
        ),
    }


def _finished(workspace_id: int) -> bool:
    run = RecomputeRun.objects.get(workspace_id=workspace_id)
    return (
        run.finished_at is not None
        and run.started_at is not None
        and run.finished_at >= run.started_at
        and not run.pending_journeys
    )


def _converges_to_a_clean_run(journey) -> None:
    ws = journey.workspace_id
    after_recovery = _rows(ws)
    assert after_recovery, "no metric rows after the recovery"
    services.metrics_recompute(workspace_id=ws, full=True)  # a clean run, in-process
    assert _rows(ws) == after_recovery


@pytest.mark.usefixtures("quick_watchdog")
def test_a_worker_killed_mid_run_is_replaced_and_the_run_redone(journey, worker_process):
    ws = journey.workspace_id
    worker_process.start(slow_run=60)  # a run that is still working when it is killed
    _answer(journey, 60)
    assert wait_for(
        lambda: RecomputeRun.objects.get(workspace_id=ws).started_at is not None, timeout=60
    ), "the worker never started the run"
    assert run_state(RecomputeRun.objects.get(workspace_id=ws), jobs_available=True) in (
        RunState.RUNNING,
    )
    worker_process.kill()

    # Silent now: within the watchdog's time the page says it waits, never "Computing… 100 %".
    assert wait_for(
        lambda: (
            run_state(RecomputeRun.objects.get(workspace_id=ws), jobs_available=True)
            is RunState.WAITING
        ),
        timeout=15,
    )
    assert wait_for(lambda: requeue_stalled_runs() == [ws], timeout=30)
    run = RecomputeRun.objects.get(workspace_id=ws)
    assert run.interrupted_at is not None
    assert run_state(run, jobs_available=True) is RunState.RESTARTED

    started = time.monotonic()
    worker_process.start()
    assert wait_for(lambda: _finished(ws), timeout=90), "the requeued run was not done"
    assert time.monotonic() - started < 90
    assert RecomputeRun.objects.get(workspace_id=ws).interrupted_at is None
    _converges_to_a_clean_run(journey)


def test_a_worker_killed_while_holding_a_queued_run_loses_nothing(
    journey, worker_process, quick_watchdog
):
    """The run waits for its countdown inside the worker that took it; that worker dies. The
    message stays unacknowledged in Redis for the visibility timeout (an hour), and the marker
    of the queued run would have blocked every new request for as long."""
    ws = journey.workspace_id
    quick_watchdog.METRICS_COALESCE_SECONDS = 4
    worker_process.env["METRICS_COALESCE_SECONDS"] = "4"
    worker_process.start()
    time.sleep(3)  # the worker is consuming
    _answer(journey, 40)
    time.sleep(1.5)  # it has taken the message and waits for the countdown
    worker_process.kill()
    assert RecomputeRun.objects.get(workspace_id=ws).started_at is None

    # New answers within the hour are not swallowed by a marker that outlives the lost run.
    assert wait_for(lambda: requeue_stalled_runs() == [ws], timeout=30)
    worker_process.start()
    assert wait_for(lambda: _finished(ws), timeout=90), "the lost run was not redone"
    _converges_to_a_clean_run(journey)
