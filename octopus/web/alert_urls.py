from __future__ import annotations

from django.urls import path

from octopus.web import alerts, channels

urlpatterns = [
    path("alerts/", alerts.alert_list, name="alert-list"),
    path("alerts/<int:alert_id>/", alerts.alert_detail, name="alert-detail"),
    path("alerts/<int:alert_id>/acknowledge/", alerts.alert_acknowledge, name="alert-acknowledge"),
    path("alerts/<int:alert_id>/resolve/", alerts.alert_resolve, name="alert-resolve"),
    path("alerts/channels/", channels.channel_list, name="channel-list"),
    path("alerts/channels/new/<str:kind>/", channels.channel_create, name="channel-create"),
    path("alerts/channels/<int:channel_id>/", channels.channel_edit, name="channel-edit"),
    path(
        "alerts/channels/<int:channel_id>/delete/", channels.channel_delete, name="channel-delete"
    ),
    path("alerts/channels/<int:channel_id>/test/", channels.channel_test, name="channel-test"),
    path("alerts/deliveries/<int:delivery_id>/", channels.delivery_status, name="delivery-status"),
    path("jobs/<int:job_id>/alerts/", channels.job_alert_recipients, name="job-alert-recipients"),
]
