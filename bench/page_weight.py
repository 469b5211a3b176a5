"""First view of a deck: bytes transferred (HTML + CSS + JS), gzipped and brotli'd, and the
time its page takes to render. Budgets: 150 KB brotli, 100 ms.

    .venv/bin/python bench/page_weight.py [--path /present/ --path ...] [--synthetic ERAS]

By default it weighs the audience deck and the speaker view, and with --synthetic the speaker
view of a talk over every made-up era (its time budget has a row per era). Runs in-process on
a throwaway in-memory database loaded from fixtures/ (plus, with --synthetic, made-up eras of
six slides, each slide with a 15-line sample), so it needs no server. Static files are read
from static/ and compressed at gzip level 9 and brotli 11, as whitenoise does; module imports
are followed.
The render time is the median of RENDERS renders with the page cache off (what the first
visitor after an edit waits for). Exits non-zero when a total passes the size budget.
"""

import argparse
import gzip
import os
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from in_memory import setup_django  # bench/, the scripts' own directory

BUDGET = 150 * 1024
RENDER_BUDGET_MS = 100
RENDERS = 5

ASSET = re.compile(r'<(?:link|script)\b[^>]*?(?:href|src)="(/static/[^"]+)"')
IMPORT = re.compile(r'(?:from|import)\s*["\'](\.{1,2}/[^"\']+)["\']')


def add_synthetic(eras):
    import random

    from timeline.models import CodeSample, Era, Slide, Talk, TalkEra

    # Random names keep gzip from shrinking the made-up deck far below what real text gives.
    rng = random.Random(1993)

    def word():
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz_") for _ in range(rng.randint(3, 10)))

    def code():
        return "def app(environ):\n" + "".join(
            f"    {word()} = environ.get('{word().upper()}', '{word()} {word()}')\n"
            for _ in range(14)
        )

    def prose(words):
        return " ".join(word() for _ in range(words))

    for n in range(eras):
        era = Era.objects.create(
            slug=f"synthetic-{n}",
            title=f"Synthetic era {n}",
            year=1995 + n % 30,
            summary="A one-line summary of about the length the real eras have, give or take.",
        )
        for order in range(1, 7):
            slide = Slide.objects.create(
                era=era,
                order=order,
                title=prose(5),
                body=f"- {prose(8)}\n- {prose(6)} `{word()}`\n- {prose(7)} **{word()}**",
                notes=prose(60),
            )
            CodeSample.objects.create(
                era=era, slide=slide, order=order, title=prose(3), code=code()
            )
    talk = Talk.objects.create(slug="synthetic", title="Every made-up era", duration_minutes=60)
    for order, era in enumerate(Era.objects.filter(slug__startswith="synthetic-"), start=1):
        TalkEra.objects.create(talk=talk, era=era, order=order)


def static_file(url):
    from django.contrib.staticfiles import finders

    found = finders.find(urlsplit(url).path.removeprefix("/static/"))
    return Path(found).read_bytes() if found else None


def weigh(path):
    from django.test import Client

    response = Client().get(path, HTTP_HOST="localhost")
    assert response.status_code == 200, f"{path} answered {response.status_code}"
    html = response.content
    files = {path: html}
    queue = ASSET.findall(html.decode())
    while queue:
        url = queue.pop()
        if url in files:
            continue
        data = static_file(url)
        if data is None:
            print(f"  missing: {url}")
            continue
        files[url] = data
        if url.endswith(".js"):
            base = url.rsplit("/", 1)[0]
            for relative in IMPORT.findall(data.decode()):
                queue.append(os.path.normpath(f"{base}/{relative}"))
    return files


def render_ms(path):
    """Median milliseconds to render `path`, with the page cache off."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    settings.PAGE_CACHE_ENABLED = False
    try:
        client.get(path, HTTP_HOST="localhost")  # imports, template loading
        times = []
        for _ in range(RENDERS):
            start = time.perf_counter()
            client.get(path, HTTP_HOST="localhost")
            times.append((time.perf_counter() - start) * 1000)
    finally:
        settings.PAGE_CACHE_ENABLED = True
    return statistics.median(times)


def report(path):
    """Prints the weight and render time of `path`; True when within the budgets."""
    import brotli

    files = weigh(path)
    total_raw = total_gz = total_br = 0
    print(f"{'file':48} {'raw':>10} {'gzip':>9} {'br':>9}")
    for name, data in files.items():
        packed = len(gzip.compress(data, compresslevel=9))
        squeezed = len(brotli.compress(data, quality=11))
        total_raw += len(data)
        total_gz += packed
        total_br += squeezed
        print(f"{name:48} {len(data):10,} {packed:9,} {squeezed:9,}")
    verdict = "within" if total_br <= BUDGET else "OVER"
    print(
        f"{'total':48} {total_raw:10,} {total_gz:9,} {total_br:9,}"
        f"  ({verdict} the {BUDGET // 1024} KB brotli budget)"
    )
    took = render_ms(path)
    pace = "within" if took <= RENDER_BUDGET_MS else "OVER"
    print(f"render {path}: {took:.0f} ms, median of {RENDERS} ({pace} {RENDER_BUDGET_MS} ms)\n")
    return total_br <= BUDGET


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--path", action="append", help="default: /present/ and its speaker view")
    parser.add_argument("--synthetic", type=int, default=0, metavar="ERAS")
    args = parser.parse_args()
    setup_django()
    if args.synthetic:
        add_synthetic(args.synthetic)
    from timeline.models import Era, Slide

    print(f"{Era.objects.count()} eras, {Slide.objects.count()} slides\n")
    paths = ["/present/", "/present/speaker/"]
    if args.synthetic:
        paths.append("/talks/synthetic/present/speaker/")
    within = [report(path) for path in args.path or paths]
    return 0 if all(within) else 1


if __name__ == "__main__":
    sys.exit(main())
