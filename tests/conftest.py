import pytest
from django.test import Client


@pytest.fixture
def admin_client_logged(django_user_model):
    """A client logged in as a superuser, separate from the anonymous `client`."""
    user = django_user_model.objects.create_superuser("admin", "admin@example.org", "pw")
    staff_client = Client()
    staff_client.force_login(user)
    return staff_client
