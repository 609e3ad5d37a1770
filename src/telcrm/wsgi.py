"""WSGI entry point (waitress on the embedded setup, any WSGI server in production)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "telcrm.settings.base")
application = get_wsgi_application()
