from __future__ import annotations

from collections.abc import AsyncIterator

from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from octopus.jobs.models import Job
from octopus.logs.reading import lines_after, read_async
from octopus.logs.search import Position, highlight, search
from octopus.runs.models import Run
from octopus.web.log_forms import LogSearchForm, retention_label

DOWNLOAD_BATCH = 5000  # lines per read while streaming a download


def log_search(request: HttpRequest) -> HttpResponse:
    form = LogSearchForm(request.GET)
    page, error = None, ""
    if form.is_valid():
        try:
            older = Position.parse(request.GET["older"]) if request.GET.get("older") else None
            newer = Position.parse(request.GET["newer"]) if request.GET.get("newer") else None
        except ValueError as exc:
            error = str(exc)
        else:
            page = search(form.query(), timezone.now(), older_than=older, newer_than=newer)
    rows = []
    if page is not None:
        text = form.cleaned_data.get("q") or ""
        rows = [(hit, highlight(hit.text, text)) for hit in page.hits]
    params = request.GET.copy()
    for name in ("older", "newer"):
        params.pop(name, None)
    ctx = {
        "form": form,
        "page": page,
        "rows": rows,
        "error": error,
        "params": params.urlencode(),
        "retention": retention_label(settings.LOG_RETENTION),
    }
    return render(request, "logs/search.html", ctx)


async def _log_text(run_id: int, last_seq: int) -> AsyncIterator[bytes]:
    after = 0
    while True:
        lines = await read_async(lines_after, run_id, after, DOWNLOAD_BATCH)
        if not lines:
            break
        parts = []
        for line in lines:
            if line.seq > after + 1:
                parts.append(f"[octopus: lines {after + 1}-{line.seq - 1} are not stored]\n")
            parts.append(line.text)
            parts.append("\n")
            after = line.seq
        yield "".join(parts).encode("utf-8", "backslashreplace")
    if last_seq > after:
        yield f"[octopus: lines {after + 1}-{last_seq} are not stored]\n".encode()


def job_live(request: HttpRequest, job_id: int) -> HttpResponse:
    """Follow a job live: its latest run, then each next one (/ws/jobs/<id>/follow)."""
    job = get_object_or_404(Job, pk=job_id)
    return render(
        request, "logs/follow.html", {"job": job, "live_log": f"/ws/jobs/{job.id}/follow"}
    )


def run_log_text(request: HttpRequest, run_id: int) -> StreamingHttpResponse:
    """The run's whole log as a text file, streamed as it is read."""
    run = get_object_or_404(Run.objects.select_related("job"), pk=run_id)
    response = StreamingHttpResponse(
        _log_text(run.id, run.log_lines), content_type="text/plain; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="run-{run.id}.log"'
    return response
