"""Search on small, crafted data: hostile input, safety, ties, question words, typos, freshness
(see test_search_history.py for the real history).

.ci/run runs these on SQLite and on PostgreSQL (where "Did you mean" asks pg_trgm).
"""

import math
import re

import pytest
from django.db import connection

import timeline.search as search_module
from timeline.search import plain_text, search, suggest, words_of
from timeline.search.snippets import snippet
from timeline.search.words import meaningful, similarity

from .factories import generate_eras, make_era, make_exercise, make_sample, make_slide


def result_titles(html, kind="era"):
    """The titles of the results of one kind (its group on the results page), in order."""
    group = html[html.index(f'id="results-{kind}"') :].split("</section>", 1)[0]
    return re.findall(r'<span class="era-title">([^<]*)</span>', group)


@pytest.mark.django_db
def test_nothing_found_says_so(client):
    make_era(title="CGI")
    html = client.get("/", {"q": "zzzz"}).content.decode()
    assert "Nothing matches" in html and "0 results" in html


@pytest.mark.django_db
def test_unpublished_eras_stay_hidden_from_visitors(client):
    make_era(title="Hidden WSGI", summary="wsgi", published=False)
    make_era(title="WSGI", summary="wsgi")
    assert result_titles(client.get("/", {"q": "wsgi"}).content.decode()) == ["WSGI"]


@pytest.mark.django_db
def test_equal_matches_keep_date_order():
    make_era(title="Later", year=2010, summary="An app server.")
    make_era(title="Earlier", year=1995, summary="An app server.")
    found = [result.title for result in search("app server").ranked if result.kind == "era"]
    assert found == ["Earlier", "Later"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "<script>alert(1)</script>",
        '"><img src=x onerror=alert(1)>',
        "a & b | !c :* ( ) <-> '",
        "\\ % _ ' \" ; -- /* */",
        "x" * 500,
        " ".join(f"w{i}" for i in range(50)),
    ],
)
def test_hostile_queries_neither_fail_nor_inject(client, query):
    make_era(title="Script", summary='<script> and & and " in content', body="script & <b>x</b>")
    response = client.get("/", {"q": query})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html


@pytest.mark.django_db
def test_content_cannot_inject_html_through_the_snippet(client):
    """Tags in the content come out escaped; only the matched word is marked."""
    body = 'find <img src=x onerror="alert(1)"> <mark>me</mark> & Tom'
    make_era(title="Evil", summary="ok", body=body)
    html = client.get("/", {"q": "find"}).content.decode()
    snippet = html[html.index('<p class="era-snippet">') :].split("</p>", 1)[0]
    assert "<img" not in snippet and 'onerror="' not in snippet
    assert snippet.count("<mark>") == 1 and "<mark>find</mark>" in snippet
    assert "&amp; Tom" in snippet


@pytest.mark.django_db
def test_the_search_leaves_the_box_filled(client):
    make_era(title="WSGI")
    html = client.get("/", {"q": "wsgi <x>"}).content.decode()
    assert 'value="wsgi &lt;x&gt;"' in html


def test_words_of_keeps_word_characters_and_caps_the_count():
    assert words_of("WSGI  flask") == ["wsgi", "flask"]
    assert words_of("web.py HTTP/1.0 mod_wsgi") == ["web.py", "http/1.0", "mod_wsgi"]
    assert words_of("a & b | !c :*") == ["a", "b", "c"]
    assert words_of("wsgi wsgi") == ["wsgi"]
    assert len(words_of(" ".join(f"w{i}" for i in range(50)))) == 8
    assert words_of("!!! ***") == []


def test_plain_text_drops_markdown_marks():
    assert plain_text("The **body** with `code` and [a link](https://x.org).") == (
        "The body with code and a link."
    )


def test_question_words_go_unless_nothing_else_is_left():
    assert meaningful(words_of("Who made Flask?")) == ["flask"]
    assert meaningful(words_of("what is the difference between wsgi vs asgi")) == ["wsgi", "asgi"]
    assert meaningful(words_of("is")) == ["is"]
    assert meaningful(words_of("hello world")) == ["hello", "world"]


@pytest.mark.django_db
def test_a_question_finds_what_its_subject_finds():
    """Without dropping "who" and "made", no era holds every word and the answer is missed."""
    make_era(title="Flask", summary="A microframework.")
    make_era(title="Other", summary="Who made this? Flask people made it.")
    assert [r.title for r in search("who made flask").ranked][0] == "Flask"


@pytest.mark.django_db
def test_slides_samples_and_exercises_are_found_and_grouped_by_kind(client):
    era = make_era(title="Gateway", summary="An interface.")
    make_slide(era, title="Calling convention", body="The quokka protocol.")
    make_sample(era, title="Hello", code="def quokka_app(environ, start_response):\n    pass\n")
    make_exercise(era, slug="write-quokka", title="Write a quokka")
    found = search("quokka")
    # The era too: its slides and samples are on its page.
    assert {source.kind for source, _ in found.groups} == {"era", "slide", "sample", "exercise"}
    urls = {result.url for result in found.ranked}
    assert "/exercises/write-quokka/" in urls and any("#slide-" in url for url in urls)
    html = client.get("/", {"q": "quokka"}).content.decode()
    assert html.count('class="search-group"') == 4 and ">Exercises</h2>" in html


@pytest.mark.django_db
def test_a_typo_gets_did_you_mean_and_its_results(client):
    make_era(title="Flask", summary="A microframework.")
    found = search("flsk")
    assert found.suggestion == "flask" and found.corrected
    assert [r.title for r in found.ranked] == ["Flask"]
    html = client.get("/", {"q": "flsk"}).content.decode()
    assert 'href="/?q=flask"' in html and "Nothing matches “flsk”; showing" in html
    # A known word is never "corrected", even when another is close.
    assert search("flask").suggestion == ""


@pytest.mark.django_db
def test_pg_trgm_and_the_python_similarity_agree():
    """The SQLite path must pick what pg_trgm picks: same measure, checked on PostgreSQL."""
    pairs = [("flsk", "flask"), ("wsgi", "asgi"), ("djano", "django"), ("x", "xylophone")]
    if connection.vendor != "postgresql":
        assert similarity("flsk", "flask") == 3 / 8  # pg_trgm's documented trigram counting
        return
    with connection.cursor() as cursor:
        for a, b in pairs:
            cursor.execute("SELECT similarity(%s, %s)", [a, b])
            assert cursor.fetchone()[0] == pytest.approx(similarity(a, b), abs=1e-6), (a, b)


@pytest.mark.django_db
def test_new_content_is_found_at_once():
    """The index follows the content version: a saved era is searchable in the next search."""
    assert search("pangolin").count == 0
    make_era(title="Pangolin")
    assert [r.title for r in search("pangolin").ranked] == ["Pangolin"]


@pytest.mark.django_db
def test_a_search_at_500_eras_takes_at_most_two_queries(django_assert_max_num_queries):
    generate_eras(500)
    make_era(title="Flask", summary="A microframework.")
    with django_assert_max_num_queries(2):  # the index read (cold) and the content version
        assert search("flask server").count >= 0
    with django_assert_max_num_queries(2):  # a typo: on PostgreSQL pg_trgm is asked once
        assert search("flsk").suggestion == "flask"


@pytest.mark.django_db
def test_the_count_says_how_many_matched_when_fewer_are_shown(client, settings):
    for n in range(45):
        make_era(title=f"Wombat {n}", summary="A wombat era.")
    html = client.get("/", {"q": "wombat"}).content.decode()
    assert "45 results, the best 40 shown." in html
    assert html.count('<li class="era-card search-result') == 40


class Vocabulary:
    """An index as suggestions reads it: its sorted words."""

    def __init__(self, *words):
        self.vocabulary = sorted(words)

    def starting_with(self, prefix):
        return [word for word in self.vocabulary if word.startswith(prefix)]


@pytest.mark.django_db
def test_did_you_mean_corrects_unknown_words_from_three_letters():
    # "gix" shares 2 of 5 trigrams with "gi" (0.4): corrected; "gi" itself is known.
    assert suggest.suggestions(Vocabulary("gi"), ["gix"]) == ["gi"]
    assert suggest.suggestions(Vocabulary("gix"), ["gi"]) == ["gi"]


def test_did_you_mean_weighs_only_plain_words_of_a_near_length_that_share_a_trigram():
    # "flaskxyz" is 3 letters longer than "flask", "flaskxyzw" 4; "zzzzz" shares no trigram;
    # "flask_app" is a word of parts (its parts are words of their own) and "2003" a number.
    index = Vocabulary("flaskxyz", "flaskxyzw", "zzzzz", "flask_app", "flasks")
    assert suggest._candidates(index, "flask") == ["flasks", "flaskxyz"]
    assert suggest._candidates(Vocabulary("2003", "20034"), "200") == []


def test_did_you_mean_picks_the_most_similar_word_and_one_at_the_threshold():
    assert similarity("flask", "flaxen") == suggest.THRESHOLD  # 3 trigrams shared of 10
    assert suggest._nearest("flask", ["flaxen", "flasks"]) == "flasks"
    assert suggest._nearest("flask", ["flaxen"]) == "flaxen"
    assert suggest._nearest("flask", ["flagstaff"]) is None  # 3 of 13: below the threshold


def era_row(title, year, key):
    return {
        "kind": "era",
        "pk": key,
        "key": key,
        "title": title,
        "head": "",
        "text": "",
        "era": None,
        "year": year,
        "era_kind": "framework",
        "published": True,
    }


def test_results_rank_by_score_then_year_then_title_kind_and_key():
    later, earlier = era_row("A later", 2010, "later"), era_row("B earlier", 1995, "earlier")
    page = {"kind": "page", "title": "A page", "key": "p", "era": None}
    same = [{"kind": "sample", "title": "Hello", "key": key} for key in ("2", "1")]
    items = [
        (1, 1.0, page, None),
        (1, 5.0, later, later),
        (1, 5.0, earlier, earlier),  # the same score: the earlier era first, whatever its title
        (1, 9.0, same[0], earlier),
        (1, 9.0, same[1], earlier),  # the same in all but the key: by the key
    ]
    ordered = sorted(items, key=search_module._order)
    assert [(row["title"], str(row["key"])) for _, _, row, _ in ordered] == [
        ("Hello", "1"),
        ("Hello", "2"),
        ("B earlier", "earlier"),
        ("A later", "later"),
        ("A page", "p"),
    ]


def test_a_result_names_its_era_and_quotes_its_heading():
    era = era_row("Flask", 2010, "flask")
    pattern = search_module._pattern(["routing"])
    slide = {
        "kind": "slide",
        "title": "Routes",
        "key": 7,
        "head": "Routing rules",
        "text": "A decorator.",
        "era": "flask",
    }
    result = search_module._result(slide, era, 3.0, pattern)
    assert result.title == "Flask: Routes" and result.era is era
    assert "Routing" in result.snippet and result.era_kind_label == ""
    assert result.url == "/eras/flask/#slide-7"
    headless = search_module._result({**slide, "head": None}, era, 3.0, pattern)
    assert "None" not in headless.snippet
    found_era = search_module._result({**era, "text": "Routing"}, era, 3.0, pattern)
    assert found_era.title == "Flask" and found_era.era_kind_label == "Framework"
    kindless = {**era, "era_kind": ""}
    unkinded = search_module._result(kindless, kindless, 3.0, pattern)
    assert unkinded.era_kind_label == "" and unkinded.snippet == ""  # no kind, no text


def test_the_snippet_opens_on_the_window_with_the_most_distinct_words():
    pattern = search_module._pattern(["alpha", "beta", "gamma"])
    fill = "word " * 30  # 150 characters
    assert str(snippet("Hello world", pattern)) == "Hello world"  # no match: from the start
    # 200 characters fit whole; more are cut at the last space within 200, marked " …".
    assert str(snippet("ab " * 66 + "ab", pattern)) == "ab " * 66 + "ab"
    assert str(snippet("word " * 60, pattern)) == "word " * 39 + "word …"
    # A match 45 or 50 characters in still shows from the start; further in, the window opens
    # on a word at least 50 characters before it.
    for fill_to in (44, 49):
        near = "z " * 10 + "x" * (fill_to - 20) + " alpha"
        assert str(snippet(near, pattern)) == near.replace("alpha", "<mark>alpha</mark>")
    further = "z " * 10 + "x" * 40 + " alpha"
    assert str(snippet(further, pattern)) == "… z z z z z " + "x" * 40 + " <mark>alpha</mark>"
    # "alpha" twice is one distinct word; "beta" and "gamma", later, are two: the window is theirs.
    text = f"{fill}alpha alpha {fill}{fill}beta gamma {fill}"
    assert str(snippet(text, pattern)).startswith("… word word word")
    assert "<mark>beta</mark> <mark>gamma</mark>" in str(snippet(text, pattern))
    # Equal windows: the first. A word 150 characters on is outside a window, 149 inside.
    twice = f"{fill}{fill}beta {fill}{fill}gamma {fill}"
    assert "<mark>beta</mark>" in str(snippet(twice, pattern))
    edge = f"{fill}{fill}alpha{'-' * 145}beta {fill}{fill}beta gamma"
    assert "<mark>gamma</mark>" in str(snippet(edge, pattern))
    inside = f"{fill}{fill}alpha{'-' * 144}beta {fill}{fill}beta gamma"
    assert "<mark>gamma</mark>" not in str(snippet(inside, pattern))
    # Only the first 200 matches are weighed (bounded work on a huge body).
    many = "alpha " * 200 + "beta " + fill
    assert str(snippet(many, pattern)).startswith("<mark>alpha</mark>")


@pytest.mark.django_db
def test_staff_find_unpublished_eras_by_a_typo_and_within_a_kind_too():
    from django.contrib.auth.models import User

    staff = User(username="editor", is_staff=True)
    make_era(title="Hidden", summary="gunicorn prefork", published=False, kind="server")
    make_era(title="Shown", summary="gunicorn prefork", kind="framework")

    def titles(query, **kwargs):
        return [result.title for result in search(query, **kwargs).ranked]

    assert titles("gunicorn") == ["Shown"]
    assert sorted(titles("gunicorn", user=staff)) == ["Hidden", "Shown"]
    assert sorted(titles("gunicorm", user=staff)) == ["Hidden", "Shown"]  # corrected
    assert titles("gunicorn", user=staff, era_kind="server") == ["Hidden"]
    assert titles("gunicorm", user=staff, era_kind="server") == ["Hidden"]
    assert search("gunicorm", user=staff, era_kind="server").corrected


@pytest.mark.django_db
def test_results_keep_the_query_and_its_meaningful_words():
    make_era(title="WSGI", summary="A gateway.")
    found = search("What is WSGI?")
    assert (found.query, found.words) == ("What is WSGI?", ["wsgi"])


@pytest.mark.django_db
def test_did_you_mean_corrects_each_word_and_shows_its_results_only_when_nothing_matched():
    make_era(title="WSGI", summary="A gateway between a server and an app.")
    wrong_twice = search("wsgo servr")
    assert wrong_twice.suggestion == "wsgi server" and wrong_twice.corrected
    half_right = search("wsgi servr")  # "wsgi" finds the era: its results stay the query's
    assert half_right.suggestion == "wsgi server" and not half_right.corrected
    assert [result.title for result in half_right.ranked if result.kind == "era"] == ["WSGI"]


@pytest.mark.django_db
def test_a_word_that_starts_an_indexed_word_is_known():
    make_era(title="WSGI", summary="A gateway between a server and an app.")
    assert search("serv").suggestion == ""


@pytest.mark.django_db
def test_a_slug_asked_for_by_name_comes_first_and_is_no_typo():
    """The slug is no word of the page, so no word scores: the name alone ranks it, and a
    near word of the site ("httpd") is not offered in its stead."""
    make_era(title="HTTP/1.0", slug="http-1-0", summary="The request line, as httpd read it.")
    found = search("http-1-0")
    assert [result.title for result in found.ranked] == ["HTTP/1.0"]
    assert found.suggestion == "" and not found.corrected


@pytest.mark.django_db
def test_a_question_naming_an_era_by_its_words_ranks_it_by_name():
    make_era(title="mod_python", slug="mod-python", summary="Apache runs the code.")
    make_era(title="Python", summary="mod python mod python mod python")
    best = search("what is mod python").ranked[0]
    assert best.title == "mod_python" and best.score >= search_module.EXACT


def test_a_word_of_parts_is_indexed_whole_and_by_each_part():
    from timeline.search.words import tokens

    assert list(tokens("wsgi mod_wsgi HTTP/1.0")) == [
        "wsgi",
        "mod_wsgi",
        "mod",
        "wsgi",
        "http/1.0",
        "http",
        "1",
        "0",
    ]


def test_a_glossary_term_is_named_by_any_of_its_forms():
    from timeline.search import glossary_results

    assert [t.name for t in glossary_results("workers")] == ["worker"]
    assert [t.name for t in glossary_results("REQUEST_METHOD")] == ["CGI variable"]
    assert [t.name for t in glossary_results("cgi variables")] == ["CGI variable"]


@pytest.mark.django_db
def test_site_pages_are_found_by_their_intro_and_no_row_by_filler():
    era = make_era(title="WSGI", summary="A gateway.")
    make_slide(era, body="A gateway slide.")
    make_sample(era, code="print('gateway')\n")
    make_exercise(era, statement="Write a gateway.")
    found = search("telnet")  # a word of the timeline page's intro, and of no row here
    assert [(r.kind, r.title) for r in found.ranked] == [("page", "The timeline")]
    # Nothing added to a row's text where it has no heading, nor where template tags were cut.
    assert search("xx").count == 0


# -- ranking on a hand-built index (no database) ---------------------------------------------


def row(kind, pk, title, text="", head="", era=None, key=None, **fields):
    made = {"kind": kind, "pk": pk, "era": era, "key": key or pk, "title": title}
    made.update(head=head, text=text, year=None, era_kind=None, published=None)
    made.update(fields)
    return made


@pytest.fixture
def hand_index():
    """0: an era whose slug is an API's era (terms.py); 1: its slide; 2: its exercise; 3: an
    unpublished era of another kind; 4: a site page. Numbers are positions in the index."""
    from timeline.search.index import Index

    api = dict(year=2003, era_kind="interface", published=True)
    hidden = dict(year=1993, era_kind="protocol", published=False)
    return Index(
        [
            row(
                "era",
                1,
                "Web Server Gateway",
                "callable callable gate environ",
                "gateway",
                1,
                "wsgi",
                **api,
            ),
            row("slide", 10, "Handler", "middleware gateway", era=1, key=3),
            row("exercise", 20, "Task", "pydantic", era=1, key="task-one"),
            row("era", 2, "Common Gateway", "gateway", era=2, key="gateway-for-all", **hidden),
            row("page", "timeline:timeline", "The timeline", "middleware"),
        ]
    )


def test_a_word_scores_by_its_best_field_its_count_and_whole_or_prefix(hand_index):
    word_scores = search_module._word_scores
    # "callable" twice in the era's text: weight 1 + log2(1 + 2).
    assert word_scores(hand_index, "callable") == {0: pytest.approx(1 + math.log2(3))}
    # "gateway": the era's title (100) beats its heading (10), twice in all; the slide's text (1).
    # "gate" also starts "gateway": the era's own "gate" is whole (1), gateway's a prefix.
    assert word_scores(hand_index, "gateway") == {
        0: pytest.approx(100 + math.log2(3)),
        1: pytest.approx(2.0),
        3: pytest.approx(100 + math.log2(3)),
    }
    assert word_scores(hand_index, "gate") == {
        0: pytest.approx(0.6 * (100 + math.log2(3))),
        1: pytest.approx(0.6 * 2),
        3: pytest.approx(0.6 * (100 + math.log2(3))),
    }


def test_a_word_scores_by_the_best_of_the_words_it_starts():
    """ "gate" whole in the title beats "gateway", a prefix in the text, listed after it."""
    from timeline.search.index import Index

    index = Index([row("era", 1, "Gate", "gateway", era=1, year=2000, published=True)])
    assert search_module._word_scores(index, "gate") == {0: pytest.approx(100 + 1)}


def test_a_slide_gives_its_era_half_its_score_and_an_exercise_or_a_page_none(hand_index):
    word_scores = search_module._word_scores
    assert word_scores(hand_index, "middleware") == {1: 2.0, 0: 1.0, 4: 2.0}
    # A prefix's share can be below 1.
    assert word_scores(hand_index, "middle") == {
        1: pytest.approx(1.2),
        0: pytest.approx(0.6),
        4: pytest.approx(1.2),
    }
    assert word_scores(hand_index, "pydantic") == {2: 2.0}


def test_a_row_is_found_by_its_kinds_name_in_its_heading(hand_index):
    assert search_module._word_scores(hand_index, "exercises") == {2: pytest.approx(11.0)}


def test_an_api_name_ranks_the_era_that_defined_it(hand_index):
    """start_response is WSGI's (terms.py): its era gets DEFINED on top of any match."""
    word_scores = search_module._word_scores
    assert word_scores(hand_index, "start_response") == {0: search_module.DEFINED}
    assert word_scores(hand_index, "environ") == {0: search_module.DEFINED + 2.0}
    assert word_scores(hand_index, "pydantic")[2] == 2.0  # fastapi's, and no fastapi era here


def test_ranking_keeps_rows_holding_the_most_words_and_adds_scores(hand_index):
    ranked = search_module._ranked
    found, total = ranked(hand_index, "gateway middleware", ["gateway", "middleware"], True, "")
    # The era holds both (middleware through its slide); the slide both; the other era one.
    assert total == 2
    assert [(r.title, r.score) for r in found] == [
        ("Web Server Gateway", pytest.approx(100 + math.log2(3) + 1.0)),
        ("Web Server Gateway: Handler", pytest.approx(0.6 * (2.0 + 2.0))),
    ]
    # A word nothing holds adds nothing: every row holds one word of two.
    found, total = ranked(hand_index, "pydantic zzz", ["pydantic", "zzz"], True, "")
    assert [(r.title, r.score) for r in found] == [("Web Server Gateway: Task", 0.9 * 2.0)]


def test_ranking_leaves_out_unpublished_eras_and_other_kinds(hand_index):
    ranked = search_module._ranked
    visitor = ranked(hand_index, "gateway", ["gateway"], False, "")[0]
    assert [r.title for r in visitor] == ["Web Server Gateway", "Web Server Gateway: Handler"]
    protocol = ranked(hand_index, "gateway", ["gateway"], True, "protocol")[0]
    assert [r.title for r in protocol] == ["Common Gateway"]
    interface = ranked(hand_index, "middleware", ["middleware"], True, "interface")[0]
    assert [r.title for r in interface] == ["Web Server Gateway: Handler", "Web Server Gateway"]


@pytest.mark.parametrize(
    "text, words",
    [
        ("Web Server Gateway", ["web", "server", "gateway"]),  # its title
        ("WSGI", ["wsgi"]),  # its slug
        ("what is web server gateway", ["web", "server", "gateway"]),  # its title's words
    ],
)
def test_an_era_asked_for_by_name_comes_first_by_far(hand_index, text, words):
    found, _ = search_module._ranked(hand_index, text, words, True, "")
    assert found[0].title == "Web Server Gateway"
    assert found[0].score >= search_module.EXACT


@pytest.mark.parametrize(
    "text, words, title",
    [
        ("gateway for all", ["gateway", "all"], "Common Gateway"),  # a slug with a stop word
        ("The timeline", ["timeline"], "The timeline"),  # a title with one
        ("what is task one", ["task", "one"], "Web Server Gateway: Task"),  # a slug's words
    ],
)
def test_a_name_is_its_slug_or_title_asked_for_whole_or_by_its_words(
    hand_index, text, words, title
):
    found, _ = search_module._ranked(hand_index, text, words, True, "")
    assert found[0].title == title
    assert found[0].score >= search_module.EXACT


def test_a_slide_is_not_named_by_its_title(hand_index):
    found, _ = search_module._ranked(hand_index, "handler", ["handler"], True, "")
    assert found[0].score < search_module.EXACT


def test_the_words_starting_with_a_prefix_are_each_listed_once(hand_index):
    from itertools import islice

    listed = list(islice(hand_index.starting_with("gat"), 10))
    assert listed == ["gate", "gateway"]
    assert list(islice(hand_index.starting_with("e"), 10)) == ["environ", "eras", "exercises"]


@pytest.mark.django_db
def test_the_index_is_built_once_per_content_version():
    from timeline.search import index

    index.forget()
    assert index.current() is index.current()


def test_groups_go_best_first_and_by_source_order_on_a_tie():
    def result(kind, score):
        return search_module.Result(kind, kind, "/", None, "", score)

    groups = search_module._grouped([result("page", 5.0), result("slide", 3.0), result("era", 3.0)])
    assert [source.kind for source, _ in groups] == ["page", "era", "slide"]


def test_a_match_is_marked_whatever_its_case():
    assert "<mark>WSGI</mark>" in str(snippet("WSGI rocks", search_module._pattern(["wsgi"])))


def test_no_text_has_no_words():
    assert words_of("") == words_of(None) == []
