import os

from django.core.asgi import get_asgi_application

from historyweb.lifespan import LifespanApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "historyweb.settings.prod")
application = LifespanApp(get_asgi_application())
