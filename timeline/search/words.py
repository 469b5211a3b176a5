"""Words: how the query and the site's text are cut into words, which query words carry no
meaning, and the trigram similarity behind "Did you mean" (pg_trgm's measure, so SQLite and
PostgreSQL agree)."""

import re

MAX_WORDS = 8
MAX_WORD_LENGTH = 40
# A word is letters, digits and underscores, possibly joined by . / + - (web.py, HTTP/1.0,
# start_response, wsgi.input). Its parts count as words too, so "mod_wsgi" is found by "wsgi".
WORD = re.compile(r"\w+(?:[./+-]\w+)*")
PARTS = re.compile(r"[^\W_]+")
# What a learner wraps a question in: dropped unless the query holds nothing else.
STOP_WORDS = frozenset(
    """a about an and are as at be between by can compare comparison could did difference
    differences do does explain for from how i in into is it its made make makes me mean means
    meaning of on or please show tell that the their them then there these this to vs versus
    was were what when where which who whom whose why will with wrote written you""".split()
)


def words_of(text):
    """The query's words, lower-cased, unique, at most MAX_WORDS of at most MAX_WORD_LENGTH."""
    words = []
    for word in WORD.findall((text or "").lower()):
        word = word[:MAX_WORD_LENGTH]
        if word not in words:
            words.append(word)
    return words[:MAX_WORDS]


def meaningful(words):
    """The words without question and stop words; all of them when nothing else is left."""
    kept = [word for word in words if word not in STOP_WORDS]
    return kept or words


def tokens(text):
    """Every word of `text` with its parts (lower-cased), as the index stores them."""
    for word in WORD.findall(text.lower()):
        yield word
        parts = PARTS.findall(word)
        if len(parts) > 1:
            yield from parts


def trigrams(word):
    """pg_trgm's trigrams of one word: padded with two spaces before and one after."""
    padded = f"  {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def similarity(a, b):
    """pg_trgm's similarity(): shared trigrams over all trigrams of the two words."""
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / len(ta | tb) if ta or tb else 0.0
