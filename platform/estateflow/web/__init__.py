"""The web app: Litestar, Jinja2 templates and vendored htmx 2.0.11.

Layer: above ``services`` (its only way to the database), beside ``worker``. Pages are
rendered on the server and work without JavaScript; htmx enhances them. Each feature is
a module with its ``ROUTES``, listed in ``_app.FEATURES``.
"""

from estateflow.web._app import create_app
from estateflow.web._common import CSP, SECURITY_HEADERS, Settings

__all__ = ("CSP", "SECURITY_HEADERS", "Settings", "create_app")
