"""The themes job's counting, vectorised: each distinct comment text is split and stemmed once
(metrics/themes/text.py), then the comments' terms are counted per touchpoint, week, language
and term by pandas (definitions in :mod:`metrics.themes`)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

import numpy as np
import pandas as pd
from django.utils import timezone

from metrics.themes import EXAMPLES
from metrics.themes.models import TERMS, TOTAL
from metrics.themes.text import language_of, terms

KEYS = ["touchpoint", "week", "term_id"]


class Vocabulary:
    """(language, term) pairs numbered as they are met, with the surface forms seen."""

    def __init__(self) -> None:
        self.ids: dict[tuple[str, str], int] = {}
        self.keys: list[tuple[str, str]] = []
        self.surfaces: dict[tuple[str, str], Counter] = defaultdict(Counter)

    def id(self, language: str, term: str) -> int:
        key = (language, term)
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.keys)
            self.keys.append(key)
        return found


def _weeks(submitted: pd.Series) -> pd.Series:
    """Each time's week (its Monday, local time), as datetime64 days."""
    local = pd.to_datetime(submitted, utc=True).dt.tz_convert(timezone.get_current_timezone())
    day = local.dt.tz_localize(None).dt.normalize()
    return day - pd.to_timedelta(day.dt.day_of_week, unit="D")


def count(
    comments: Iterable[tuple], themes: dict[str, list[tuple[str, frozenset[str]]]]
) -> tuple[pd.DataFrame, Vocabulary]:
    """The rows of ``comments`` (pk, touchpoint, submitted_at, language code, comment,
    experience) counted: one frame row per touchpoint, week and term (``language``, ``term``,
    ``pain``, ``rest``, ``examples``: the ids of the EXAMPLES highest pain answers as JSON), and the
    vocabulary met with its surface forms."""
    columns = ["pk", "touchpoint", "at", "code", "comment", "pain"]
    frame = pd.DataFrame.from_records(list(comments), columns=columns)
    vocab = Vocabulary()
    if frame.empty:
        return _empty(), vocab
    codes = frame["code"].unique()
    frame["language"] = frame["code"].map({c: language_of(c or "") for c in codes})
    frame = frame[frame["language"] != ""]
    if frame.empty:
        return _empty(), vocab
    frame = frame.assign(pain=frame["pain"] == "pain", week=_weeks(frame["at"]))
    text, uniques = pd.MultiIndex.from_arrays([frame["language"], frame["comment"]]).factorize()
    per_text = np.bincount(text, minlength=len(uniques))
    flat: list[int] = []
    lengths = np.zeros(len(uniques), dtype=np.int64)
    n_terms = np.zeros(len(uniques), dtype=np.int64)
    for u, (language, comment) in enumerate(uniques):
        found = terms(language, comment)
        stems = {term for term, _surface in found}
        ids = [vocab.id(language, TOTAL)]
        for term, surface in found:
            ids.append(vocab.id(language, term))
            vocab.surfaces[(language, term)][surface] += int(per_text[u])
        ids += [vocab.id(language, k) for k, wanted in themes.get(language, ()) if wanted & stems]
        flat.extend(ids)
        lengths[u], n_terms[u] = len(ids), len(found)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    per_row = lengths[text]
    row = np.repeat(np.arange(len(frame)), per_row)
    within = np.arange(per_row.sum()) - np.repeat(np.cumsum(per_row) - per_row, per_row)
    term_id = np.asarray(flat, dtype=np.int64)[offsets[text][row] + within]
    pain = frame["pain"].to_numpy()
    exploded = pd.DataFrame(
        {
            "touchpoint": frame["touchpoint"].to_numpy()[row],
            "week": frame["week"].to_numpy()[row],
            "term_id": term_id,
            "pain": pain[row],
            "pk": frame["pk"].to_numpy()[row],
        }
    )
    sums = exploded.groupby(KEYS, sort=False).agg(pain=("pain", "sum"), n=("pain", "size"))
    sums = sums.join(_examples(exploded))
    # The "*" rows: the terms counted per comment, summed (n_p and n_r of the ranking).
    words = frame.assign(
        words=n_terms[text], term_id=[vocab.id(lang, TERMS) for lang in frame["language"]]
    )
    words = words[words["words"] > 0].assign(
        pain_words=lambda f: np.where(f["pain"], f["words"], 0)
    )
    totals = words.groupby(KEYS, sort=False).agg(pain=("pain_words", "sum"), n=("words", "sum"))
    out = pd.concat([sums, totals.assign(examples="[]")]).reset_index()
    languages = np.array([lang for lang, _term in vocab.keys], dtype=object)
    names = np.array([term for _lang, term in vocab.keys], dtype=object)
    out = out.assign(
        language=languages[out["term_id"].to_numpy()],
        term=names[out["term_id"].to_numpy()],
        rest=out["n"] - out["pain"],
        week=out["week"].dt.date,
    )
    out["examples"] = out["examples"].fillna("[]")
    return out[["touchpoint", "week", "language", "term", "pain", "rest", "examples"]], vocab


def _examples(exploded: pd.DataFrame) -> pd.Series:
    """Per touchpoint, week and term, the ids of its EXAMPLES highest pain answers as JSON text
    ("[9,7,4]"), built column-wise (a Python list per group costs seconds per 100,000)."""
    top = (
        exploded[exploded["pain"]]
        .sort_values("pk", ascending=False)
        .groupby(KEYS, sort=False)
        .head(EXAMPLES)
    )
    top = top.assign(rank=top.groupby(KEYS, sort=False).cumcount())
    wide = top.set_index([*KEYS, "rank"])["pk"].unstack("rank")
    text = pd.Series("[", index=wide.index)
    for rank in wide.columns:
        ids = wide[rank]
        given = ids.notna()
        digits = ids.fillna(0).astype("int64").astype(str)
        text = text.where(~given, text + ("," if rank else "") + digits)
    return (text + "]").rename("examples")


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        columns=["touchpoint", "week", "language", "term", "pain", "rest", "examples"]
    )
