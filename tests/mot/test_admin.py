import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

OUR_APPS = ["mot", "journeys", "feedback", "metrics"]
OUR_MODELS = [model for label in OUR_APPS for model in apps.get_app_config(label).get_models()]


def test_every_model_of_ours_is_registered_in_django_admin():
    assert OUR_MODELS, "no models found"
    missing = [m.__name__ for m in OUR_MODELS if not admin.site.is_registered(m)]
    assert missing == []


@pytest.fixture
def feedback_rows(journey, editor):
    from datetime import timedelta

    from django.utils import timezone

    from feedback.models import (
        Activity,
        ApiToken,
        Customer,
        ErasedCustomer,
        ImportJob,
        Response,
        SavedMapping,
        SurveyBranding,
        SurveyLink,
        hash_token,
    )
    from mot.models import Invitation

    tp = journey.touchpoints.first()
    customer = Customer.objects.create(
        workspace=journey.workspace, external_id="c-1", segment="Families", country="PT"
    )
    ErasedCustomer.objects.create(
        workspace=journey.workspace, digest="0" * 64, pseudonym="erased-0", erased_by=editor.user
    )
    Response.objects.create(
        workspace=journey.workspace,
        touchpoint=tp,
        customer=customer,
        source="api",
        external_id="r-1",
        submitted_at=timezone.now() - timedelta(days=120),  # old enough for impact
        nps=9,
        respect=4,  # and rated, for the expectation sums (issue 17)
    )
    Response.objects.create(  # a pain customer, for the recovery effect
        workspace=journey.workspace,
        touchpoint=tp,
        customer=Customer.objects.create(workspace=journey.workspace, external_id="c-2"),
        source="api",
        external_id="r-2",
        submitted_at=timezone.now() - timedelta(days=120),
        nps=2,
    )
    Activity.objects.create(
        workspace=journey.workspace,
        customer=customer,
        occurred_at=timezone.now(),
        kind="purchase",
        external_id="a-1",
    )
    SurveyLink.objects.create(touchpoint=tp, created_by=editor)
    SurveyBranding.objects.create(workspace=journey.workspace, accent="#aa3300")
    ApiToken.objects.create(
        workspace=journey.workspace, name="Zapier", prefix="abc", token_hash=hash_token("abc")
    )
    ImportJob.objects.create(
        workspace=journey.workspace,
        created_by=editor,
        target="responses",
        file="imports/1/abc",
        original_name="answers.csv",
        size=10,
        layout={"kind": "csv"},
    )
    SavedMapping.objects.create(
        workspace=journey.workspace,
        signature="0" * 64,
        target="responses",
        tool="generic",
        mapping={"target": "responses", "columns": {"nps": 0}},
        source_name="answers.csv",
        saved_by=editor,
        saved_at=timezone.now(),
    )
    Invitation.objects.create(
        workspace=journey.workspace,
        email="newcomer@example.test",
        role="staff",
        invited_by=editor,
        nonce="n",
        sent_at=timezone.now(),
    )
    # A follow-up with its timeline and a workspace rule (issue 14).
    from feedback.followups.models import FollowUp, FollowUpEvent, FollowUpSettings

    followup = FollowUp.objects.create(
        workspace=journey.workspace,
        response=Response.objects.get(external_id="r-1"),
        touchpoint=tp,
        assignee=editor,
        due_on=timezone.localdate(),
    )
    FollowUpEvent.objects.create(followup=followup, kind="note", actor=editor, note="Called")
    FollowUpSettings.objects.create(workspace=journey.workspace)
    # A notification and a member's alert choices (issue 14, alerts).
    from mot.notifications.models import AlertPreferences, Notification

    Notification.objects.create(
        workspace=journey.workspace,
        recipient=editor,
        kind="followup_new",
        params={"touchpoint": tp.title},
        dedupe_key=f"followup-new:{followup.pk}",
    )
    AlertPreferences.objects.create(membership=editor, email_moment_turn=False)
    from mot.models import Profile

    Profile.objects.create(user=editor.user, language="ro")
    # Webhooks in and out (issue 18).
    from feedback.hooks.models import Delivery, Endpoint, Intake, IntakeDelivery

    intake = Intake.objects.create(
        workspace=journey.workspace, kind="typeform", name="Form", secret="s", touchpoint=tp
    )
    IntakeDelivery.objects.create(intake=intake, outcome="stored", status=200)
    endpoint = Endpoint.objects.create(
        workspace=journey.workspace, name="CRM", url="https://example.com/", events=["test"]
    )
    Delivery.objects.create(endpoint=endpoint, message_id="m", event="test", payload={})
    # Metric rows of every kind, from the answer and the purchase above.
    from metrics.services import metrics_recompute

    metrics_recompute(workspace_id=journey.workspace_id, full=True)
    from metrics.models import MomentTurn

    MomentTurn.objects.create(
        workspace=journey.workspace, touchpoint=tp, dropped=True, turns=1, changed_at=timezone.now()
    )
    # Comment themes (issue 17): a workspace's own theme, and the rows the themes job writes.
    from metrics.themes.models import ThemeCounts, ThemeRun, ThemeTerm, WorkspaceTheme

    # The themes job writes its run row; with a real broker (CI) it is only queued here.
    ThemeRun.objects.get_or_create(workspace=journey.workspace)

    WorkspaceTheme.objects.create(
        workspace=journey.workspace, name="Delivery", keywords={"en": "late"}
    )
    ThemeTerm.objects.create(workspace=journey.workspace, language="en", term="late", label="late")
    ThemeCounts.objects.create(
        workspace=journey.workspace,
        journey=journey,
        touchpoint=tp,
        week=timezone.localdate(),
        language="en",
        term="late",
        pain=1,
    )
    # A lane with an item, folded by a member, and a persona of the journey (issue 16).
    from journeys.models import LaneFold
    from journeys.services.lanes import item_create, lane_create
    from journeys.services.personas import journey_set_personas, persona_create

    pains = lane_create(actor=editor, journey=journey, kind="pains")
    item_create(actor=editor, lane=pains, stage=tp.stage, text="Slow", owner=editor)
    LaneFold.objects.create(lane=pains, membership=editor)
    journey_set_personas(
        actor=editor, journey=journey, personas=[persona_create(actor=editor, name="Parent")]
    )


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m.__name__)
def test_admin_list_and_add_pages_render_for_a_superuser(client, model, journey, feedback_rows):
    superuser = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456")
    client.force_login(superuser, backend="mot.auth.EmailOrUsernameBackend")
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert client.get(changelist).status_code == 200
    obj = model.objects.first()
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    assert client.get(change).status_code == 200
