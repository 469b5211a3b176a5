from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", include("timeline.urls")),
]

# A full database pool is a 503 with a reason, not a 500 (historyweb/error_pages.py).
handler500 = "historyweb.error_pages.server_error"
