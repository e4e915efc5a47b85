"""Records (complaints, interview notes…) in the explorer: found by comment search, filtered by
kind, their kind and noted experience shown, in the CSV, at the list's pinned query count."""

from __future__ import annotations

import csv
import io

from feedback.models import Kind
from tests.conftest import login
from tests.feedback.explorer.test_explorer import LIST_QUERIES, answer, listed, url
from tests.feedback.explorer.test_explorer import tps as tps


def complaint(tp, text="The courier was rude", noted="pain", kind=Kind.COMPLAINT):
    return answer(tp, nps=None, kind=kind, comment=text, noted_experience=noted)


def test_search_finds_records_and_the_kind_filter_keeps_them(client, staff, tps):
    rec = complaint(tps["Reviews"])
    note = complaint(tps["Checkout"], "Courier late again", "unknown", Kind.CALL_NOTE)
    scored = answer(tps["Checkout"], nps=2, comment="Courier lost it")
    login(client, staff)
    assert set(listed(client, "?q=courier")) == {rec.pk, note.pk, scored.pk}
    assert listed(client, "?kind=complaint") == [rec.pk]
    assert listed(client, "?kind=survey_answer") == [scored.pk]
    assert set(listed(client, "?experience=pain")) == {rec.pk, scored.pk}
    assert listed(client, "?experience=unknown") == [note.pk]


def test_the_list_shows_the_kind_and_the_noted_experience(client, staff, tps):
    complaint(tps["Reviews"], noted="unknown")
    login(client, staff)
    html = client.get(url("list")).content.decode()
    assert "<td>Complaint</td>" in html
    assert 'name="kind"' in html
    assert "Unknown" in html


def test_a_kind_filter_costs_no_extra_query(client, staff, tps, django_assert_num_queries):
    complaint(tps["Reviews"])
    login(client, staff)
    with django_assert_num_queries(LIST_QUERIES):
        assert client.get(url("list") + "?kind=complaint&q=rude").status_code == 200


def test_the_csv_names_the_kind(client, admin, tps):
    complaint(tps["Reviews"])
    login(client, admin)
    body = b"".join(client.get(url("export")).streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert rows[0]["Kind"] == "complaint"
