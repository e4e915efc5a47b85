"""Comment themes: what customers in pain write about, per touchpoint, moment of truth, journey
and period, in Portuguese, Spanish, Romanian and English. Every definition is here.

Language
    An answer's stored ``language`` is read by its primary subtag ("pt", "pt-BR", "pt_br" and
    "por" are Portuguese; likewise es/spa, ro/ron/rum, en/eng). A comment in any other language,
    or with no language, is skipped: guessing the language of a few words is unreliable, and
    the explorer's full-text search already covers those answers. Computed offline: Snowball
    stemmers (the ``snowballstemmer`` package) and the stop words of
    :mod:`metrics.themes.stopwords`, nothing downloaded at run time.

Terms
    A comment is NFC-normalised, lower-cased (Romanian ş/ţ read as ș/ț) and split into words of
    letters (an English contraction such as "didn't" is one word; digits split words; words of
    one letter are dropped). A word is a stop word when its accent-folded form is in the
    language's list. Each other word is stemmed with the language's Snowball stemmer. A
    comment's terms are its distinct stems (unigrams) and the pairs of consecutive words that
    are both not stop words (bigrams, keyed "stem1 stem2"): "Entrega atrasada e ninguém me
    avisou" gives ``entreg``, ``atras``, ``entreg atras`` and ``avis``. A term counts once per
    comment, however often it occurs in it: counts are numbers of comments.

Label
    A term is shown as its most frequent surface form over the workspace's comments (ties: the
    one seen first), e.g. ``entreg atras`` as "entrega atrasada".

Pain and the rest
    An answer's experience (feedback.experience) splits comments into pain and the rest (glory,
    neutral, and an answer whose experience is unknown).

Ranking (Monroe, Colaresi & Quinn 2008, "Fightin' Words", weighted log-odds ratio with an
informative Dirichlet prior)
    For one scope (touchpoints of a journey, a moment of truth or one touchpoint), period and
    language: y_p(w) and y_r(w) are the numbers of pain and other comments containing term w,
    n_p and n_r the sums of y over all terms (rare terms included, see Storage). The prior is
    the pooled counts of both groups scaled to a total weight a0 = ``PRIOR_WEIGHT``:
    a(w) = a0 · (y_p(w) + y_r(w)) / (n_p + n_r) (a weak prior: it keeps a term seen in pain
    comments only from an infinite log-odds, and shrinks rare terms most).
    Then

        d(w)   = log((y_p + a) / (n_p + a0 - y_p - a)) - log((y_r + a) / (n_r + a0 - y_r - a))
        var(w) ≈ 1 / (y_p + a) + 1 / (y_r + a)
        z(w)   = d(w) / sqrt(var(w))

    A theme is a term with z > ``Z_MIN`` (1.96: over-represented in pain comments at the 5 %
    level, one-sided 2.5 %) and at least ``MIN_COUNT`` pain comments. Themes are ranked by z,
    highest first. A bigram theme stands for its words (which are then not listed) when they
    are in at most 1.5 times its pain comments, and ranks where the best of them would:
    ``entreg atras`` stands for ``entreg`` and ``atras``. Shown per theme: its label,
    its count (pain comments containing it), its share (that count over the pain comments of
    the scope, period and language that have a comment) and up to ``EXAMPLES`` example pain
    comments (those received last, see Storage).

Workspace themes
    A workspace may define its own themes: a name and, per language, keywords (a keyword of two
    words matches that pair of consecutive words). Keywords are stemmed like comments, so
    "entrega" matches "entregas". A comment matches a theme when one of its terms is one of the
    theme's keyword stems in the comment's language. They are counted exactly (never pruned)
    and shown with every comment count and share, whatever their z.

Storage (``ThemeCounts``, bounded)
    One row per touchpoint x week (starting on Monday, local time) x language x term: the
    number of pain comments and of the others containing the term, and the ids of the
    ``EXAMPLES`` pain answers containing it received last (the highest ids; for examples). A
    row with the empty term counts the commented answers themselves (the share's
    denominator), a row keyed "*" sums the counts of all its terms before pruning (n_p and
    n_r), a row keyed "#<id>" counts a workspace theme. A period is read as the weeks that
    start within it. Rows of a term are kept only when it is
    in the workspace's vocabulary (``ThemeTerm``: terms in at least ``MIN_COUNT`` comments
    over the whole data, with their labels, fixed by a full run) or the row itself counts
    ``MIN_COUNT`` comments; so storage grows with touchpoints x weeks x languages x the
    frequent vocabulary, not with the answers (the rare words, most of a vocabulary, are left
    out, and they could never reach ``MIN_COUNT`` anyway). When the comments are spread thin
    (a few per touchpoint and week) that is still about six rows per comment: at 100,000
    comments, 600,000 rows (bench/metrics.py).

Jobs (metrics/themes/engine.py, the ``recompute_themes`` task on the metrics queue)
    A full run rebuilds every row and the vocabulary. An incremental run recomputes the weeks
    in which answers arrived since the last run (by their ``created_at``, with an overlap of
    ``OVERLAP``), each week whole: a window recompute, idempotent. A term new to the
    vocabulary reaches the rows of earlier weeks at the next full run (nightly).
"""

PRIOR_WEIGHT = 10.0
Z_MIN = 1.96
MIN_COUNT = 5
EXAMPLES = 3
