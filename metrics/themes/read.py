"""The themes pages' reads: stored ``ThemeCounts`` rows summed over a scope and period, ranked
(metrics/themes/rank.py), with labels and example comments; a theme's share week by week.
A fixed number of queries whatever the data's size (definitions in :mod:`metrics.themes`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import F, OuterRef, Q, QuerySet, Subquery, Sum, Window
from django.db.models.functions import RowNumber

from feedback.models import Response
from metrics.read.dashboard import Period
from metrics.themes import EXAMPLES
from metrics.themes.engine import week_of
from metrics.themes.models import TERMS, THEME_PREFIX, TOTAL, ThemeCounts, ThemeTerm, WorkspaceTheme
from metrics.themes.rank import themes

TOP = 10  # themes listed per scope


@dataclass(frozen=True)
class Example:
    pk: int
    submitted_at: datetime
    comment: str
    touchpoint: str


@dataclass(frozen=True)
class Theme:
    language: str
    term: str  # the stem key, or "#<id>" for a workspace theme
    label: str
    pain: int  # pain comments containing it
    rest: int
    pain_comments: int  # pain comments in the scope, period and language
    z: float | None
    examples: list[Example] = field(default_factory=list)

    @property
    def share(self) -> float | None:
        return 100.0 * self.pain / self.pain_comments if self.pain_comments else None

    @property
    def key(self) -> str:
        """The explorer's ``theme`` parameter: "pt:entreg atras", or "#12"."""
        return self.term if self.term.startswith(THEME_PREFIX) else f"{self.language}:{self.term}"


@dataclass(frozen=True)
class Scope:
    """Whose comments: a journey's, some touchpoints', or (both None) the workspace's."""

    journey_id: int | None = None
    touchpoint_ids: Collection[int] | None = None


def _rows(workspace_id: int, scope: Scope, period: Period) -> QuerySet[ThemeCounts]:
    qs = ThemeCounts.objects.filter(workspace_id=workspace_id)
    if not period.all_time:
        # The weeks that start within the period.
        qs = qs.filter(week__gte=period.start, week__lte=period.end)
    if scope.journey_id is not None:
        qs = qs.filter(journey_id=scope.journey_id)
    if scope.touchpoint_ids is not None:
        qs = qs.filter(touchpoint_id__in=sorted(scope.touchpoint_ids))
    return qs


@dataclass(frozen=True)
class ThemeReport:
    themes: list[Theme]  # ranked, the four languages together (highest z first)
    workspace_themes: list[Theme]  # every workspace theme, by name
    pain_comments: dict[str, int]  # per language

    @property
    def any_comments(self) -> bool:
        return any(self.pain_comments.values())


def theme_report(*, workspace_id: int, scope: Scope, period: Period, top: int = TOP) -> ThemeReport:
    """Ranked themes and the workspace's own themes of a scope and period: four queries."""
    sums = (
        _rows(workspace_id, scope, period)
        .values_list("language", "term")
        .annotate(pain=Sum("pain"), rest=Sum("rest"))
        .order_by()
    )
    pain: dict[str, dict[str, int]] = defaultdict(dict)
    rest: dict[str, dict[str, int]] = defaultdict(dict)
    totals: dict[str, int] = {}
    sizes: dict[str, tuple[int, int]] = {}
    own: dict[tuple[str, str], tuple[int, int]] = {}
    for language, term, p, r in sums:
        if term == TOTAL:
            totals[language] = p
        elif term == TERMS:
            sizes[language] = (p, r)
        elif term.startswith(THEME_PREFIX):
            own[(language, term)] = (p, r)
        else:
            pain[language][term], rest[language][term] = p, r
    ranked = []
    for language in sorted(pain):
        n_p, n_r = sizes.get(language, (0, 0))
        for s in themes(pain[language], rest[language], n_pain=n_p, n_rest=n_r):
            ranked.append((language, s))
    ranked.sort(key=lambda item: (-item[1].z, -item[1].pain, item[0], item[1].term))
    ranked = ranked[:top]
    labels = {
        (lang, term): label
        for lang, term, label in ThemeTerm.objects.filter(
            workspace_id=workspace_id, term__in={s.term for _lang, s in ranked}
        ).values_list("language", "term", "label")
    }
    listed = [
        Theme(
            lang,
            s.term,
            labels.get((lang, s.term), s.term),
            s.pain,
            s.rest,
            totals.get(lang, 0),
            s.z,
        )
        for lang, s in ranked
    ]
    workspace_themes = _workspace_themes(workspace_id, own, totals)
    examples = _examples(workspace_id, scope, period, [*listed, *workspace_themes])
    return ThemeReport(
        themes=[_with(t, examples) for t in listed],
        workspace_themes=[_with(t, examples) for t in workspace_themes],
        pain_comments=totals,
    )


def _workspace_themes(workspace_id, own, totals) -> list[Theme]:
    """Each workspace theme summed over its languages; its share is of the pain comments in the
    languages it has keywords for."""
    listed = []
    for theme in WorkspaceTheme.objects.filter(workspace_id=workspace_id):
        p = sum(v[0] for (_lang, term), v in own.items() if term == theme.key)
        r = sum(v[1] for (_lang, term), v in own.items() if term == theme.key)
        languages = [lang for lang, words in (theme.keywords or {}).items() if words.strip()]
        listed.append(
            Theme("", theme.key, theme.name, p, r, sum(totals.get(x, 0) for x in languages), None)
        )
    return listed


def _with(theme: Theme, examples: dict[tuple[str, str], list[Example]]) -> Theme:
    found = examples.get((theme.language, theme.term), [])
    return Theme(**{**theme.__dict__, "examples": found})


def _examples(
    workspace_id: int, scope: Scope, period: Period, listed: list[Theme]
) -> dict[tuple[str, str], list[Example]]:
    """Up to EXAMPLES pain comments per theme: the latest the job noted in the scope and
    period (two queries: the rows' example ids, then those answers)."""
    if not listed:
        return {}
    wanted = Q()
    for theme in listed:
        if theme.language:
            wanted |= Q(language=theme.language, term=theme.term)
        else:
            wanted |= Q(term=theme.term)
    # The latest weeks' rows of each theme hold its latest examples (EXAMPLES rows at most,
    # of EXAMPLES ids each; a workspace theme's per language).
    ids = (
        _rows(workspace_id, scope, period)
        .filter(wanted, pain__gt=0)
        .annotate(
            n=Window(
                RowNumber(),
                partition_by=[F("language"), F("term")],
                order_by=[F("week").desc(), F("touchpoint_id")],
            )
        )
        .filter(n__lte=EXAMPLES)
        .values_list("language", "term", "examples")
    )
    picked: dict[tuple[str, str], list[int]] = defaultdict(list)
    for language, term, pks in ids:
        key = ("", term) if term.startswith(THEME_PREFIX) else (language, term)
        picked[key].extend(pks)
    answers = {
        a.pk: a
        for a in Response.objects.filter(
            workspace_id=workspace_id, pk__in={pk for pks in picked.values() for pk in pks}
        )
        .select_related("touchpoint")
        .only("pk", "submitted_at", "comment", "touchpoint__title")
    }
    found = {}
    for key, pks in picked.items():
        rows = sorted((answers[pk] for pk in set(pks) if pk in answers), key=lambda a: -a.pk)
        found[key] = [
            Example(a.pk, a.submitted_at, a.comment, a.touchpoint.title) for a in rows[:EXAMPLES]
        ]
    return found


@dataclass(frozen=True)
class SharePoint:
    week: date
    pain: int  # pain comments containing the theme
    pain_comments: int

    @property
    def share(self) -> float | None:
        return 100.0 * self.pain / self.pain_comments if self.pain_comments else None


def theme_trend(
    *, workspace_id: int, scope: Scope, period: Period, language: str, term: str
) -> list[SharePoint]:
    """The theme's share of the pain comments week by week (weeks without comments left out):
    one query. ``language`` "" for a workspace theme (all four languages)."""
    qs = _rows(workspace_id, scope, period).filter(term__in=[term, TOTAL])
    if language:
        qs = qs.filter(language=language)
    elif not term.startswith(THEME_PREFIX):
        return []
    weekly: dict[date, list[int]] = defaultdict(lambda: [0, 0])
    for week, t, p in qs.values_list("week", "term").annotate(p=Sum("pain")).order_by():
        weekly[week][0 if t == term else 1] += p
    return [SharePoint(week_of(week), p, n) for week, (p, n) in sorted(weekly.items()) if n]


def top_themes(
    *, workspace_id: int, touchpoint_ids: Collection[int], period: Period, top: int = 3
) -> dict[int, list[Theme]]:
    """Each touchpoint's first ``top`` themes (all languages together), without examples: one
    query, the labels read along (the dashboard's weakest moments)."""
    ids = sorted(set(touchpoint_ids))
    if not ids:
        return {}
    label = ThemeTerm.objects.filter(
        workspace_id=workspace_id, language=OuterRef("language"), term=OuterRef("term")
    ).values("label")[:1]
    sums = (
        _rows(workspace_id, Scope(touchpoint_ids=ids), period)
        .exclude(term__startswith=THEME_PREFIX)
        .values_list("touchpoint_id", "language", "term")
        .annotate(pain=Sum("pain"), rest=Sum("rest"), label=Subquery(label))
        .order_by()
    )
    grouped: dict[tuple[int, str], dict] = defaultdict(
        lambda: {"pain": {}, "rest": {}, "labels": {}, "total": 0, "n": (0, 0)}
    )
    for tp, language, term, p, r, shown in sums:
        group = grouped[(tp, language)]
        if term == TOTAL:
            group["total"] = p
        elif term == TERMS:
            group["n"] = (p, r)
        else:
            group["pain"][term], group["rest"][term] = p, r
            group["labels"][term] = shown or term
    found: dict[int, list[Theme]] = defaultdict(list)
    for (tp, language), g in grouped.items():
        for s in themes(g["pain"], g["rest"], n_pain=g["n"][0], n_rest=g["n"][1]):
            found[tp].append(
                Theme(language, s.term, g["labels"][s.term], s.pain, s.rest, g["total"], s.z)
            )
    return {tp: sorted(listed, key=lambda t: (-t.z, -t.pain))[:top] for tp, listed in found.items()}
