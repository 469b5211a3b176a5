"""The search's hit rate on the learner queries of tests/search_queries.py: the share whose
wanted page is in the top 3, and each miss with what came instead; then the time to build the
index and to search, with the history alone and with made-up eras added.

    .venv/bin/python bench/search_queries.py [--eras 500]"""

import argparse
import sys
import time

from in_memory import ROOT, setup_django


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--eras", type=int, default=500, help="made-up eras added for timing")
    args = parser.parse_args()
    setup_django()
    sys.path.insert(0, str(ROOT))
    from tests.factories import generate_eras
    from tests.search_queries import QUERIES, TOP, evaluate
    from timeline.search import index, search

    rate, misses = evaluate(search)
    found = len(QUERIES) - len(misses)
    print(f"{found}/{len(QUERIES)} queries ({rate:.1%}) find their page in the top {TOP}")
    for query, wanted, top in misses:
        print(f"  miss: {query!r} wants {wanted}; got {top}")
    timings(index, search, QUERIES, "the history")
    generate_eras(args.eras)
    timings(index, search, QUERIES, f"the history and {args.eras} made-up eras")


def timings(index, search, queries, label):
    index.forget()
    started = time.perf_counter()
    built = index.current()
    build = time.perf_counter() - started
    started = time.perf_counter()
    for query, _ in queries:
        search(query)
    each = (time.perf_counter() - started) / len(queries)
    print(
        f"{label}: {len(built.docs)} rows, {len(built.vocabulary)} words; index built in "
        f"{build * 1000:.0f} ms, a search takes {each * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
