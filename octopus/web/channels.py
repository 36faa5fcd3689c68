"""Channel pages (admins only): list, add, edit, delete, send a test; a job's alert recipients."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from octopus.accounts import audit
from octopus.accounts.roles import can_edit_job, check, require_role
from octopus.alerts import messages as alert_messages
from octopus.alerts import outbox
from octopus.alerts.models import Channel, ChannelKind, Delivery
from octopus.alerts.transports import form_class
from octopus.jobs.models import Job
from octopus.web.alert_forms import AlertRecipientsForm
from octopus.web.middleware import LoggedInRequest


@require_role("admin")
def channel_list(request: HttpRequest) -> HttpResponse:
    channels = Channel.objects.order_by("name")
    return render(request, "alerts/channels.html", {"channels": channels, "kinds": ChannelKind})


def _form_class(kind: str) -> type:
    if kind not in ChannelKind.values:
        raise Http404("no such channel kind")
    return form_class(kind)


@require_role("admin")
def channel_create(request: HttpRequest, kind: str) -> HttpResponse:
    form = _form_class(kind)(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            channel = form.save()
            audit.record("channel.create", request=request, obj=channel, after=channel.to_dict())
        messages.success(
            request, _("Channel %(name)s added. Send a test to check it.") % {"name": channel.name}
        )
        return redirect("channel-edit", channel_id=channel.pk)
    ctx = {"form": form, "channel": None, "kind_label": ChannelKind(kind).label}
    return render(request, "alerts/channel_form.html", ctx)


@require_role("admin")
def channel_edit(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=channel_id)
    before = channel.to_dict()
    form = _form_class(channel.kind)(request.POST or None, channel=channel)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            channel = form.save()
            audit.record(
                "channel.update",
                request=request,
                obj=channel,
                before=before,
                after=channel.to_dict(),
            )
        messages.success(request, _("Channel %(name)s saved.") % {"name": channel.name})
        return redirect("channel-edit", channel_id=channel.pk)
    recent = channel.deliveries.order_by("-id")[:20]
    ctx = {
        "form": form,
        "channel": channel,
        "kind_label": channel.get_kind_display(),
        "recent": recent,
    }
    return render(request, "alerts/channel_form.html", ctx)


@require_POST
@require_role("admin")
def channel_delete(request: HttpRequest, channel_id: int) -> HttpResponse:
    channel = get_object_or_404(Channel, pk=channel_id)
    with transaction.atomic():
        audit.record("channel.delete", request=request, obj=channel, before=channel.to_dict())
        channel.delete()
    messages.success(request, _("Channel %(name)s deleted.") % {"name": channel.name})
    return redirect("channel-list")


@require_POST
@require_role("admin")
def channel_test(request: LoggedInRequest, channel_id: int) -> HttpResponse:
    """Queue a test message; the page then follows its delivery (htmx)."""
    channel = get_object_or_404(Channel, pk=channel_id)
    message = alert_messages.test(channel.name, request.user.get_username())
    with transaction.atomic():
        delivery = outbox.enqueue_test(channel, message)
        audit.record("channel.test", request=request, obj=channel, after={"delivery": delivery.pk})
    if request.htmx:
        return render(request, "alerts/_delivery_status.html", {"delivery": delivery})
    messages.success(request, _("Test message queued."))
    return redirect("channel-edit", channel_id=channel.pk)


@require_GET
@require_role("admin")
def delivery_status(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery = get_object_or_404(Delivery.objects.select_related("channel"), pk=delivery_id)
    return render(request, "alerts/_delivery_status.html", {"delivery": delivery})


def job_alert_recipients(request: HttpRequest, job_id: int) -> HttpResponse:
    job = get_object_or_404(Job, pk=job_id)
    check(can_edit_job(request.user, job))  # the job's owners (and admins) route its alerts
    before = {"alert_routing": dict(job.alert_routing), "alert_level": job.alert_level}
    form = AlertRecipientsForm(request.POST or None, job=job)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            form.save(job)
            after = {"alert_routing": dict(job.alert_routing), "alert_level": job.alert_level}
            audit.record("job.update", request=request, obj=job, before=before, after=after)
        messages.success(request, _("Alert routing of %(name)s saved.") % {"name": job.name})
        return redirect("job-detail", job_id=job.pk)
    return render(request, "alerts/recipients.html", {"form": form, "job": job})
