"""The search's hit rate on the learner queries of tests/search_queries.py: the share whose
wanted page is in the top 3, and each miss with what came instead.

    .venv/bin/python bench/search_queries.py"""

import time

from in_memory import ROOT, setup_django


def main():
    setup_django()
    import sys

    sys.path.insert(0, str(ROOT))
    from tests.search_queries import QUERIES, TOP, evaluate
    from timeline.search import search

    started = time.perf_counter()
    rate, misses = evaluate(search)
    elapsed = (time.perf_counter() - started) / len(QUERIES)
    found = len(QUERIES) - len(misses)
    print(f"{found}/{len(QUERIES)} queries ({rate:.1%}) find their page in the top {TOP}")
    print(f"{elapsed * 1000:.1f} ms per search (index built once)")
    for query, wanted, top in misses:
        print(f"  miss: {query!r} wants {wanted}; got {top}")


if __name__ == "__main__":
    main()
