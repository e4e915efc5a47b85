"""JSON export and import: the same map comes back, and a hostile file writes nothing."""

from __future__ import annotations

import json

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from journeys.exchange import (
    Document,
    JourneyImportError,
    journey_export,
    journey_import,
    parse_document,
)
from journeys.limits import MAX_STAGES, MAX_TOUCHPOINTS_PER_STAGE
from journeys.models import Journey, Stage, Touchpoint
from journeys.services import (
    journey_update,
    stage_create,
    touchpoint_assign_owner,
    touchpoint_create,
)
from mot.models import Membership, Role


def layout(journey: Journey) -> dict:
    """Everything an export carries except owners, in order."""
    return {
        "journey": (journey.name, journey.persona, journey.description, journey.state),
        "stages": list(journey.stages.order_by("position").values_list("name", "position")),
        "touchpoints": list(
            Touchpoint.objects.filter(journey=journey)
            .order_by("stage__position", "position")
            .values_list(
                "stage__position",
                "position",
                "title",
                "description",
                "channel",
                "mot_stage",
                "phase",
            )
        ),
    }


def row_counts() -> tuple[int, int, int]:
    return Journey.objects.count(), Stage.objects.count(), Touchpoint.objects.count()


def import_file(actor: Membership, data: bytes | str) -> Journey:
    """What the upload view does: validate, then create."""
    return journey_import(actor=actor, document=parse_document(data))


def doc(**journey) -> dict:
    return {"format": "mot.journey", "version": 1, "journey": {"name": "Map", **journey}}


def encoded(value) -> bytes:
    return json.dumps(value).encode()


# --- round trip -------------------------------------------------------------------------------


@pytest.fixture
def rich_journey(editor, staff, journey):
    """The conftest map plus descriptions, a future state and owners."""
    journey_update(
        actor=editor, journey=journey, description="Where shoppers decide.", state="future"
    )
    extra = stage_create(actor=editor, journey=journey, name="Share", position=0)
    touchpoint_create(
        actor=editor,
        stage=extra,
        title="Escrever uma avaliação ★★★★★ 🎉",
        description="Line one\nline two",
        channel="social",
        mot_stage="lmot",
        phase="post_sale",
    )
    reviews = Touchpoint.objects.get(journey=journey, title="Reviews")
    product = Touchpoint.objects.get(journey=journey, title="Product page")
    touchpoint_assign_owner(actor=editor, touchpoint=reviews, owner=staff)
    touchpoint_assign_owner(actor=editor, touchpoint=product, owner=editor)
    return journey


def test_export_then_import_into_another_workspace_gives_the_same_map(
    rich_journey, editor, outsider
):
    data = encoded(journey_export(actor=editor, journey=rich_journey))
    copy = import_file(outsider, data)
    assert copy.workspace_id == outsider.workspace_id
    assert layout(copy) == layout(rich_journey)
    assert all(
        tp.stage.journey_id == copy.pk
        for tp in Touchpoint.objects.filter(journey=copy).select_related("stage")
    )


def test_owners_stay_assigned_only_when_they_are_members_of_the_target(
    rich_journey, editor, staff, outsider
):
    # Sam (staff in Acme) is also a member of Globex; Eddie (editor) is not.
    sam_in_globex = Membership.objects.create(
        workspace=outsider.workspace, user=staff.user, role=Role.STAFF
    )
    document = journey_export(actor=editor, journey=rich_journey)
    document["journey"]["stages"][1]["touchpoints"][0]["owner"] = staff.user.email.upper()
    copy = import_file(outsider, encoded(document))
    owners = dict(Touchpoint.objects.filter(journey=copy).values_list("title", "owner"))
    assert owners["Reviews"] == sam_in_globex.pk
    assert owners["Product page"] is None
    assert owners["Checkout"] is None


def test_import_into_the_same_workspace_keeps_the_owners(rich_journey, editor, staff):
    copy = import_file(editor, encoded(journey_export(actor=editor, journey=rich_journey)))
    owners = dict(Touchpoint.objects.filter(journey=copy).values_list("title", "owner"))
    assert owners["Reviews"] == staff.pk
    assert owners["Product page"] == editor.pk


def test_export_names_owners_by_email(rich_journey, editor, staff):
    exported = journey_export(actor=editor, journey=rich_journey)
    stages = exported["journey"]["stages"]
    assert [s["name"] for s in stages] == ["Share", "Research", "Buy"]
    assert stages[1]["touchpoints"][0]["owner"] == staff.user.email
    assert stages[0]["touchpoints"][0]["owner"] is None
    assert exported["format"] == "mot.journey"
    assert exported["version"] == 2


def test_import_accepts_a_utf8_bom_and_a_str(editor):
    data = encoded(doc(stages=[{"name": "Only", "touchpoints": [{"title": "One"}]}]))
    first = import_file(editor, b"\xef\xbb\xbf" + data)
    second = import_file(editor, data.decode())
    assert layout(first) == layout(second)
    assert layout(first)["touchpoints"] == [(0, 0, "One", "", "other", "", "use")]


def test_brackets_inside_strings_do_not_count_as_nesting(editor):
    title = '[[[[[[[[[[{{{{{{{{{{ \\" ]]'
    raw = (
        '{"format": "mot.journey", "version": 1, "journey": {"name": "Map", '
        f'"stages": [{{"name": "S", "touchpoints": [{{"title": "{title}"}}]}}]}}}}'
    )
    journey = import_file(editor, raw.encode())
    assert Touchpoint.objects.get(journey=journey).title == '[[[[[[[[[[{{{{{{{{{{ " ]]'


def test_import_is_atomic_when_the_database_refuses_a_row(editor):
    """A document that bypassed validation and breaks a constraint halfway leaves nothing."""
    valid = Document.model_validate(
        doc(stages=[{"name": "A", "touchpoints": [{"title": "ok"}]}, {"name": "B"}])
    )
    broken_tp = valid.journey.stages[0].touchpoints[0].model_copy(update={"channel": "pigeon"})
    broken_stage = valid.journey.stages[1].model_copy(update={"touchpoints": [broken_tp]})
    broken = valid.model_copy(
        update={
            "journey": valid.journey.model_copy(
                update={"stages": [valid.journey.stages[0], broken_stage]}
            )
        }
    )
    before = row_counts()
    with pytest.raises(IntegrityError):
        journey_import(actor=editor, document=broken)
    assert row_counts() == before


# --- hostile and malformed files --------------------------------------------------------------


def _deep_object(depth: int) -> str:
    inner = '"x"'
    for _ in range(depth):
        inner = '{"a": ' + inner + "}"
    return (
        '{"format": "mot.journey", "version": 1, "journey": {"name": "Map", "stages": '
        '[{"name": "S", "touchpoints": [{"title": "T", "description": ' + inner + "}]}]}}"
    )


HOSTILE = {
    "title as number": (
        encoded(doc(stages=[{"name": "S", "touchpoints": [{"title": 5}]}])),
        "journey.stages[1].touchpoints[1].title: must be text.",
    ),
    "name as number": (encoded(doc(name=42)), "journey.name: must be text."),
    "version as a string": (
        encoded({**doc(), "version": "1"}),
        "version",
    ),
    "stages as dict": (
        encoded(doc(stages={"Research": {"touchpoints": []}})),
        "journey.stages: must be a list.",
    ),
    "touchpoint as list": (
        encoded(doc(stages=[{"name": "S", "touchpoints": [["title", "T"]]}])),
        "journey.stages[1].touchpoints[1]",
    ),
    "unknown MOT stage": (
        encoded(doc(stages=[{"name": "S", "touchpoints": [{"title": "T", "mot_stage": "XMOT"}]}])),
        "'XMOT'",
    ),
    "unknown channel": (
        encoded(doc(stages=[{"name": "S", "touchpoints": [{"title": "T", "channel": "fax"}]}])),
        "'fax'",
    ),
    "blank stage name": (
        encoded(doc(stages=[{"name": "   "}])),
        "journey.stages[1].name",
    ),
    "title too long": (
        encoded(doc(stages=[{"name": "S", "touchpoints": [{"title": "t" * 161}]}])),
        "journey.stages[1].touchpoints[1].title",
    ),
    "missing journey": (
        encoded({"format": "mot.journey", "version": 1}),
        "journey: this field is required.",
    ),
    "10 MB of junk": (bytes(range(256)) * (10 * 1024 * 1024 // 256), "larger than"),
    "100000 open brackets": (b"[" * 100_000, "nested too deeply"),
    "deeply nested valid-looking object": (_deep_object(200).encode(), "nested too deeply"),
    "not JSON": (b"name,stages\nShop,Research\n", "not valid JSON"),
    "empty file": (b"", "not valid JSON"),
    "huge integer": (b'{"format": "mot.journey", "version": ' + b"9" * 5000 + b"}", "JSON"),
    "not UTF-8": (
        "{}".encode("utf-16"),
        "not UTF-8",
    ),
    "latin-1 text": (
        '{"format": "mot.journey", "journey": {"name": "Ação"}}'.encode("latin-1"),
        "UTF-8",
    ),
    "wrong format marker": (
        encoded({"format": "other.app", "version": 1, "journey": {"name": "x"}}),
        'expected "format": "mot.journey"',
    ),
    "top-level list": (encoded([doc()]), "not a MOT journey export"),
    "unsupported version": (encoded({**doc(), "version": 3}), "version"),
    "too many stages": (
        encoded(doc(stages=[{"name": f"S{i}"} for i in range(MAX_STAGES + 1)])),
        f"at most {MAX_STAGES}",
    ),
    "too many touchpoints in a stage": (
        encoded(
            doc(
                stages=[
                    {
                        "name": "S",
                        "touchpoints": [
                            {"title": f"T{i}"} for i in range(MAX_TOUCHPOINTS_PER_STAGE + 1)
                        ],
                    }
                ]
            )
        ),
        f"at most {MAX_TOUCHPOINTS_PER_STAGE}",
    ),
    "NUL in a title": (
        encoded(doc(stages=[{"name": "S", "touchpoints": [{"title": "a\u0000b"}]}])),
        "NUL",
    ),
    "lone surrogate": (
        b'{"format": "mot.journey", "version": 1, "journey": {"name": "\\ud800"}}',
        "journey.name",
    ),
}


@pytest.mark.parametrize(("data", "expected"), HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_file_is_refused_with_a_clear_message_and_writes_nothing(
    editor, journey, data, expected
):
    before = row_counts()
    with pytest.raises(JourneyImportError) as excinfo:
        import_file(editor, data)
    assert excinfo.value.errors
    assert all(isinstance(line, str) and line for line in excinfo.value.errors)
    assert expected in str(excinfo.value), excinfo.value.errors
    assert row_counts() == before


def test_many_problems_are_listed_each_with_its_place(editor):
    data = encoded(
        doc(
            name="",
            stages=[{"name": "S", "touchpoints": [{"title": 1}, {"title": "ok", "phase": "x"}]}],
        )
    )
    with pytest.raises(JourneyImportError) as excinfo:
        parse_document(data)
    places = [line.split(":")[0] for line in excinfo.value.errors]
    assert places == [
        "journey.name",
        "journey.stages[1].touchpoints[1].title",
        "journey.stages[1].touchpoints[2].phase",
    ]


# --- fuzzing ----------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)


def _field(plausible):
    """A plausible value most of the time, anything JSON now and then."""
    return st.integers(min_value=0, max_value=19).flatmap(
        lambda n: json_values if n == 0 else plausible
    )


touchpoint_docs = st.fixed_dictionaries(
    {"title": _field(st.text(max_size=30))},
    optional={
        "description": _field(st.text(max_size=30)),
        "channel": _field(st.sampled_from(["website", "chat", "fax", ""])),
        "mot_stage": _field(st.sampled_from(["zmot", "lmot", "", "XMOT", "ZMOT"])),
        "phase": _field(st.sampled_from(["use", "purchase", "later"])),
        "owner": _field(st.sampled_from([None, "eddie@acme.test", "nobody@x.test"])),
    },
)
stage_docs = st.fixed_dictionaries(
    {"name": _field(st.text(max_size=20))},
    optional={"touchpoints": _field(st.lists(touchpoint_docs, max_size=4))},
)
journey_docs = st.fixed_dictionaries(
    {
        "format": _field(st.just("mot.journey")),
        "version": _field(st.sampled_from([1, 1, 1, 1.0, "1", 2])),
        "journey": _field(
            st.fixed_dictionaries(
                {"name": _field(st.text(max_size=20))},
                optional={
                    "persona": _field(st.text(max_size=20)),
                    "state": _field(st.sampled_from(["current", "future", "past"])),
                    "stages": _field(st.lists(stage_docs, max_size=4)),
                },
            )
        ),
    }
)


def parse_or_errors(data: bytes) -> tuple[Document | None, list[str] | None]:
    """parse_document's answer; anything raised but JourneyImportError fails the test."""
    try:
        return parse_document(data), None
    except JourneyImportError as exc:
        return None, exc.errors


FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(data=st.binary(max_size=3000))
def test_arbitrary_bytes_only_ever_raise_import_error(data):
    _document, errors = parse_or_errors(data)
    assert errors is None or errors


@FUZZ
@given(value=json_values)
def test_arbitrary_json_only_ever_raises_import_error(value):
    with pytest.raises(JourneyImportError):
        parse_document(json.dumps(value).encode())


@FUZZ
@given(value=journey_docs)
def test_any_document_is_either_refused_or_imported_whole(editor, value):
    """Nearly valid documents: refused cleanly, or accepted and then imported without error."""
    document, errors = parse_or_errors(json.dumps(value).encode())
    if document is None:
        assert errors
        event("refused")
        return
    event("imported")
    with transaction.atomic():
        journey = journey_import(actor=editor, document=document)
        stages = value["journey"].get("stages", [])
        assert journey.stages.count() == len(stages)
        assert journey.touchpoints.count() == sum(len(s.get("touchpoints", [])) for s in stages)
        transaction.set_rollback(True)
