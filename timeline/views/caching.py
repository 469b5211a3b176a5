from django.views.decorators.cache import patch_cache_control


def keep_private(request, response, private=False):
    """Staff previews (and any page marked private) must never sit in a shared cache."""
    if private or request.user.is_staff:
        patch_cache_control(response, private=True, no_store=True)
    return response
