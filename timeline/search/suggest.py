""" "Did you mean": each query word the site does not hold is replaced by the site's word most
like it, by trigram similarity. PostgreSQL computes it with pg_trgm (migration 0015); elsewhere
words.similarity computes pg_trgm's own measure, so both pick the same word."""

from django.db import connection

from .words import PARTS, similarity, trigrams

THRESHOLD = 0.3  # pg_trgm's default similarity_threshold
MIN_LENGTH = 3


def suggestions(index, words):
    """`words` with each unknown one replaced by its nearest indexed word, where one is near."""
    unknown = [w for w in words if len(w) >= MIN_LENGTH and not any(index.starting_with(w))]
    if not unknown:
        return words
    candidates = {word: _candidates(index, word) for word in unknown}
    if connection.vendor == "postgresql":
        nearest = _nearest_postgresql(candidates)
    else:
        nearest = {word: _nearest(word, found) for word, found in candidates.items()}
    return [nearest.get(word) or word for word in words]


def _candidates(index, word):
    """Plain words of the index sharing a trigram with `word`, of a length that could match."""
    grams = trigrams(word)
    return sorted(
        token
        for token in index.vocabulary
        if abs(len(token) - len(word)) <= 3
        and PARTS.fullmatch(token)
        and not token.isdigit()
        and grams & trigrams(token)
    )


def _rounded(value):
    return round(value, 6)  # pg_trgm answers in float4: compare both at the same precision


def _nearest(word, candidates):
    scored = [(_rounded(similarity(word, c)), c) for c in candidates]
    scored = [(-score, c) for score, c in scored if score >= THRESHOLD]
    return min(scored)[1] if scored else None


def _nearest_postgresql(candidates):
    """One query for every unknown word: the candidate pg_trgm finds most similar."""
    words = list(candidates)
    sql = " UNION ALL ".join(
        "(SELECT %s, c FROM unnest(%s::text[]) AS t(c)"
        " WHERE similarity(c, %s) >= %s"
        " ORDER BY round(similarity(c, %s)::numeric, 6) DESC, c LIMIT 1)"
        for _ in words
    )
    params = []
    for word in words:
        params += [word, candidates[word], word, THRESHOLD, word]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())
