"""The survey POST's fast path (``plainly_valid``) accepts only what the form accepts, with the
same cleaned data; everything else goes to the form, whose errors the customer sees."""

from __future__ import annotations

import uuid

from django.http import QueryDict
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from feedback.surveys.forms import SurveyForm, plainly_valid

SCALES = ("nps", "csat", "respect", "solutions", "simplicity", "responsibility")
TEXTS = ("comment", "contact", "customer", "submission")

# Mostly values the form accepts, so that whole posts are often valid, and the edges of each
# rule: choices as sent (no stripping), stripped text at and past its field's length, NUL, the
# contact's check, submission ids in every form uuid.UUID reads.
SCALE_VALUES = ["", "0", "1", "3", "5", "10"]
SCALE_EDGES = [" ", "6", "11", "-1", " 5", "5 ", "05", "+5", "\u0665", "5.0"]
scale_value = st.one_of(
    st.sampled_from(SCALE_VALUES), st.sampled_from(SCALE_EDGES), st.text(max_size=3)
)
TEXT_VALUES = ["", "  ", " Great ", "Great", "a@example.com", " +40 721 000 000 "]
TEXT_EDGES = [
    "a\x00b",
    "x" * 200,
    " " + "x" * 200 + " ",
    "x" * 201,
    "x" * 64,
    " " + "x" * 64 + " ",
    "x" * 65,
    "not a contact",
    "@",
    "a@b",
    str(uuid.uuid4()),
    " " + str(uuid.uuid4()) + " ",
    "{" + str(uuid.uuid4()) + "}",
    uuid.uuid4().hex,
    str(uuid.uuid1()),
]
LONG = [pad + "x" * n + pad for n in (9_999, 10_000, 10_001) for pad in ("", " ")]
text_value = st.one_of(
    st.sampled_from(TEXT_VALUES),
    st.sampled_from(TEXT_EDGES),
    st.text(max_size=70),
    st.sampled_from(LONG),
)


def values(strategy):
    return st.lists(strategy, min_size=1, max_size=2)


posts = st.fixed_dictionaries(
    {"nps": values(scale_value)},
    optional={
        **{name: values(scale_value) for name in SCALES[1:]},
        **{name: values(text_value) for name in TEXTS},
    },
)


def as_query(data: dict[str, list[str]]) -> QueryDict:
    query = QueryDict(mutable=True)
    for name, values in data.items():
        query.setlist(name, values)
    return query


def same_submission(plain: str, form: str, sent: str) -> bool:
    # A submission id that is not a UUID is replaced by a random one on each side.
    try:
        kept = str(uuid.UUID(sent.strip(), version=4))
    except ValueError:
        return uuid.UUID(plain).version == uuid.UUID(form).version == 4
    return plain == form == kept


def check(query: QueryDict) -> bool:
    """Whether the fast path took the post; if it did, the form accepts it with the same data."""
    plain = plainly_valid(query)
    if plain is None:
        return False  # the form judges it, as before
    form = SurveyForm(query)
    assert form.is_valid(), form.errors
    cleaned = dict(form.cleaned_data)
    sent = query.get("submission") or ""
    assert same_submission(plain.pop("submission"), cleaned.pop("submission"), sent)
    assert plain == cleaned
    return True


def test_each_edge_value_in_each_field_of_a_valid_post():
    """Every field of a valid post replaced, one at a time, by each edge value of any field."""
    base = {"nps": ["9"], "csat": ["4"], "comment": ["Fine"], "submission": [str(uuid.uuid4())]}
    assert check(as_query(base))
    edges = [*SCALE_VALUES, *SCALE_EDGES, *TEXT_VALUES, *TEXT_EDGES, *LONG]
    taken = 0
    for name in SCALES + TEXTS:
        for value in edges:
            for sent in ([value], ["1", value], [value, ""]):
                taken += check(as_query({**base, name: sent}))
    assert taken > 300  # the valid ones did take the fast path


@hsettings(max_examples=1_000, deadline=None)
@given(data=posts)
def test_the_fast_path_accepts_only_what_the_form_accepts_with_the_same_data(data):
    check(as_query(data))


@given(
    nps=st.sampled_from(["", *map(str, range(11))]),
    csat=st.sampled_from(["", *map(str, range(1, 6))]),
    rating=st.sampled_from(["", *map(str, range(1, 6))]),
    comment=st.text(max_size=100).filter(lambda t: "\x00" not in t),
)
def test_the_answers_a_survey_page_posts_take_the_fast_path(nps, csat, rating, comment):
    query = as_query(
        {
            "nps": [nps],
            "csat": [csat],
            "respect": [rating],
            "solutions": [rating],
            "simplicity": [""],
            "responsibility": [""],
            "comment": [comment],
            "contact": [""],
            "customer": [""],
            "submission": [str(uuid.uuid4())],
        }
    )
    form_valid = SurveyForm(query).is_valid()
    assert (plainly_valid(query) is not None) == form_valid
    assert form_valid == bool(nps or csat)


def test_a_refused_post_is_left_to_the_form():
    for data in ({"nps": ["11"]}, {}, {"comment": ["no scores"]}, {"nps": ["5"], "contact": ["?"]}):
        assert plainly_valid(as_query(data)) is None
        assert not SurveyForm(as_query(data)).is_valid()
