"""The project package's one table: the content version of the cached pages.

It lives here, not in the app, because the page cache (historyweb/page_cache.py) owns it and
historyweb never imports the app. The database is its truth; Redis (or the file or memory
cache) holds a copy that may be lost or rolled back without harm.
"""

from django.db import models


class ContentVersion(models.Model):
    """One row (pk 1): the content version every cached page is keyed by.

    The number only grows: each content change sets it to the greater of the old number + 1
    and the current time in milliseconds. A database made afresh therefore starts above every
    number an older one handed out, so no page cached for other content ever matches it.
    """

    number = models.BigIntegerField()

    class Meta:
        db_table = "historyweb_content_version"

    def __str__(self):
        return str(self.number)
