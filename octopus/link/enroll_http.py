"""Plain-HTTP parts of the worker protocol (the rest is the WebSocket in consumers.py)."""

from __future__ import annotations

import json

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from octopus.accounts import audit
from octopus.workers.enrollment import EnrollmentError, enroll


@csrf_exempt  # no session here: the enrollment token in the body is the credential
@require_POST
def enroll_worker(request: HttpRequest) -> JsonResponse:
    try:
        body = json.loads(request.body or b"{}")
        token, name = str(body["enrollment_token"]), str(body["name"])
    except (ValueError, KeyError, TypeError):
        return JsonResponse({"error": "expected JSON with enrollment_token and name"}, status=400)
    try:
        done = enroll(token, name, str(body.get("hostname", "")))
    except EnrollmentError as exc:
        audit.record(
            "worker.enroll_refused", request=request, after={"name": name, "why": exc.message}
        )
        return JsonResponse({"error": exc.message}, status=exc.status)
    if done.reenrolled:
        audit.record(
            "worker.reenroll",
            request=request,
            obj=done.worker,
            before={"token": done.old_fingerprint},
            after={"token": done.new_fingerprint},
        )
    else:
        audit.record("worker.enroll", request=request, obj=done.worker, after={"name": name})
    return JsonResponse({"worker_token": done.token, "name": done.worker.name})
