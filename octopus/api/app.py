"""The REST API, version 1: one NinjaAPI with a router per concept, served at /api/v1/.

Every operation needs a caller (token or session), including the schema and its docs;
only the web login and /health are public.
"""

from __future__ import annotations

from ninja import NinjaAPI

from octopus.api import errors
from octopus.api.accounts import router as accounts_router
from octopus.api.alerts import router as alerts_router
from octopus.api.auth import api_auth, docs_access
from octopus.api.jobs import router as jobs_router
from octopus.api.logs import router as logs_router
from octopus.api.runs import router as runs_router
from octopus.api.workers import router as workers_router

api = NinjaAPI(
    title="Octopus API",
    version="1",
    description=(
        "Jobs, runs, logs, workers, alerts and the audit trail of an Octopus server. "
        "Authenticate with `Authorization: Bearer <token>` (a personal API token from the "
        "API tokens page) or a browser session (writes then need the CSRF token). Errors "
        'are `{"error": "…", "detail": …}`; lists are `{"items", "count", "next"}`.'
    ),
    auth=api_auth(),
    urls_namespace="api-v1",
    docs_decorator=docs_access,
)
errors.install(api)
for router in (
    jobs_router,
    runs_router,
    logs_router,
    workers_router,
    alerts_router,
    accounts_router,
):
    api.add_router("", router)
