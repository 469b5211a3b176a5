"""The glossary's terms a query names, shown beside the results ("In the glossary")."""

from .. import glossary
from .words import words_of


def glossary_results(text):
    """The glossary terms a query names: all the words of the term's name are in the query
    ("what is environ"), or all the query's words are words of the term ("wsgi server")."""
    words = set(words_of(text))
    found = []
    for term in glossary.TERMS:
        name = set(words_of(term.name))
        forms = set(words_of(" ".join((term.name, *term.code, *term.words))))
        if words and (name <= words or words <= forms):
            found.append(term)
    return found
