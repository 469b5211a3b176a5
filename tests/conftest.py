import pytest
from django.core.cache import cache
from django.test import Client


@pytest.fixture
def admin_client_logged(django_user_model):
    """A client logged in as a superuser, separate from the anonymous `client`."""
    user = django_user_model.objects.create_superuser("admin", "admin@example.org", "pw")
    staff_client = Client()
    staff_client.force_login(user)
    return staff_client


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The locmem cache outlives each test's database; start every test with an empty one."""
    from timeline import page_cache

    cache.clear()
    page_cache.memory.clear()
    yield
    cache.clear()
    page_cache.memory.clear()
