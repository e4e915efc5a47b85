"""Touchpoint codes: optional, unique in the workspace (case-insensitively), editable on the map."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from feedback.touchpoint_refs import TouchpointRefs, ids_by_code
from journeys.models import Touchpoint
from journeys.services import (
    journey_create,
    journey_duplicate,
    stage_create,
    touchpoint_create,
    touchpoint_update,
)
from tests.conftest import login


@pytest.fixture
def two_journeys(editor):
    first = journey_create(actor=editor, name="Buy")
    second = journey_create(actor=editor, name="Return")
    return (
        stage_create(actor=editor, journey=first, name="Pay"),
        stage_create(actor=editor, journey=second, name="Ship back"),
    )


def update(editor, tp, **changes):
    fields = {f: getattr(tp, f) for f in ("title", "description", "channel", "mot_stage", "phase")}
    return touchpoint_update(actor=editor, touchpoint=tp, **{**fields, **changes})


def test_code_is_stored_trimmed(editor, two_journeys):
    tp = touchpoint_create(actor=editor, stage=two_journeys[0], title="Pay", code=" CHK-PAY ")
    assert Touchpoint.objects.get(pk=tp.pk).code == "CHK-PAY"


def test_code_is_unique_across_the_workspace_case_insensitively(editor, two_journeys):
    touchpoint_create(actor=editor, stage=two_journeys[0], title="Pay", code="CHK-PAY")
    with pytest.raises(ValidationError) as exc:
        touchpoint_create(actor=editor, stage=two_journeys[1], title="Refund", code="chk-pay")
    assert "code" in exc.value.message_dict
    assert "Pay" in exc.value.message_dict["code"][0]
    assert not Touchpoint.objects.filter(title="Refund").exists()


def test_another_workspace_may_use_the_same_code(editor, outsider, two_journeys):
    touchpoint_create(actor=editor, stage=two_journeys[0], title="Pay", code="CHK-PAY")
    theirs = stage_create(
        actor=outsider, journey=journey_create(actor=outsider, name="T"), name="S"
    )
    assert touchpoint_create(actor=outsider, stage=theirs, title="Pay", code="CHK-PAY").code


def test_keeping_its_own_code_on_update_is_fine(editor, two_journeys):
    tp = touchpoint_create(actor=editor, stage=two_journeys[0], title="Pay", code="CHK-PAY")
    update(editor, tp, title="Pay now", code="chk-pay")
    assert Touchpoint.objects.get(pk=tp.pk).code == "chk-pay"


def test_update_without_code_leaves_it(editor, two_journeys):
    tp = touchpoint_create(actor=editor, stage=two_journeys[0], title="Pay", code="CHK-PAY")
    update(editor, tp, title="Pay now")
    assert Touchpoint.objects.get(pk=tp.pk).code == "CHK-PAY"


@pytest.mark.parametrize("bad", ["-lead", "has space", "x" * 41, "emoji🙂", "a/b"])
def test_malformed_code_is_refused(editor, two_journeys, bad):
    with pytest.raises(ValidationError) as exc:
        touchpoint_create(actor=editor, stage=two_journeys[0], title="Pay", code=bad)
    assert "code" in exc.value.message_dict


def test_a_duplicated_journey_does_not_copy_codes(editor, two_journeys):
    tp = touchpoint_create(actor=editor, stage=two_journeys[0], title="Pay", code="CHK-PAY")
    copy = journey_duplicate(actor=editor, journey=tp.journey)
    assert list(copy.touchpoints.values_list("code", flat=True)) == [""]


def test_code_is_edited_in_the_card_form(client, editor, two_journeys):
    tp = touchpoint_create(actor=editor, stage=two_journeys[0], title="Pay")
    login(client, editor)
    url = f"/w/acme/touchpoints/{tp.pk}/edit/"
    data = {"title": "Pay", "channel": tp.channel, "phase": tp.phase, "code": "PAY-1"}
    assert client.post(url, data).status_code == 302
    assert Touchpoint.objects.get(pk=tp.pk).code == "PAY-1"
    other = touchpoint_create(actor=editor, stage=two_journeys[1], title="Refund")
    response = client.post(f"/w/acme/touchpoints/{other.pk}/edit/", {**data, "title": "Refund"})
    assert response.status_code == 422
    assert "already the code of" in response.content.decode()


def test_refs_resolve_id_code_and_unique_title(editor, outsider, two_journeys):
    pay = touchpoint_create(actor=editor, stage=two_journeys[0], title="Pay", code="CHK-PAY")
    touchpoint_create(actor=editor, stage=two_journeys[0], title="Same")
    touchpoint_create(actor=editor, stage=two_journeys[1], title="Same")
    theirs = stage_create(
        actor=outsider, journey=journey_create(actor=outsider, name="T"), name="S"
    )
    foreign = touchpoint_create(actor=outsider, stage=theirs, title="Theirs", code="THEIRS")
    refs = TouchpointRefs(editor.workspace_id)
    assert refs(str(pay.pk)) == refs("chk-pay") == refs(" Pay ") == pay.pk
    for ref, reason in [
        ("Same", "2 touchpoints are titled"),
        (str(foreign.pk), "no touchpoint in this workspace"),
        ("THEIRS", "no touchpoint in this workspace"),
        ("", "no touchpoint given"),
    ]:
        with pytest.raises(ValueError, match=reason):
            refs(ref)
    assert ids_by_code(editor.workspace_id, ["chk-pay", "THEIRS", ""]) == {"CHK-PAY": pay.pk}
