from __future__ import annotations

from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from octopus.api.app import api
from octopus.link import enroll_http as agent_http
from octopus.web import dashboard, jobs, logs, people, runs, workers
from octopus.web import login as accounts
from octopus.web import tokens as token_pages

urlpatterns = [
    path("", dashboard.dashboard, name="home"),
    path("i18n/js/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("login/", accounts.LoginView.as_view(), name="login"),
    path("logout/", accounts.LogoutView.as_view(), name="logout"),
    path("health", accounts.health, name="health"),
    path("jobs/", jobs.job_list, name="job-list"),
    path("jobs/new/", jobs.job_create, name="job-create"),
    path("jobs/preview/", jobs.schedule_preview, name="schedule-preview"),
    path("jobs/<int:job_id>/", jobs.job_detail, name="job-detail"),
    path("jobs/<int:job_id>/edit/", jobs.job_edit, name="job-edit"),
    path("jobs/<int:job_id>/run/", jobs.job_run_now, name="job-run"),
    path("jobs/<int:job_id>/cursor/", jobs.job_cursor, name="job-cursor"),
    path("jobs/<int:job_id>/clone/", jobs.job_clone, name="job-clone"),
    path("jobs/<int:job_id>/enable/", jobs.job_enable, name="job-enable"),
    path("jobs/<int:job_id>/disable/", jobs.job_disable, name="job-disable"),
    path("jobs/<int:job_id>/delete/", jobs.job_delete, name="job-delete"),
    path("runs/", runs.run_list, name="run-list"),
    path("runs/<int:run_id>/", runs.run_detail, name="run-detail"),
    path("runs/<int:run_id>/summary/", runs.run_summary, name="run-summary"),
    path("runs/<int:run_id>/log.txt", logs.run_log_text, name="run-log-text"),
    path("logs/", logs.log_search, name="log-search"),
    path("jobs/<int:job_id>/live/", logs.job_live, name="job-live"),
    path("runs/<int:run_id>/rerun/", runs.run_rerun, name="run-rerun"),
    path("runs/<int:run_id>/cancel/", runs.run_cancel, name="run-cancel"),
    path("people/", people.user_list, name="user-list"),
    path("people/new/", people.user_create, name="user-create"),
    path("people/<int:user_id>/", people.user_edit, name="user-edit"),
    path("audit/", people.audit_trail, name="audit-trail"),
    path("workers/", workers.worker_list, name="worker-list"),
    path("workers/enroll/", workers.worker_enrollment, name="worker-enrollment"),
    path("workers/<int:worker_id>/revoke/", workers.worker_revoke, name="worker-revoke"),
    path("workers/<int:worker_id>/reenroll/", workers.worker_reenroll, name="worker-reenroll"),
    path("agent/v1/enroll", agent_http.enroll_worker, name="agent-enroll"),
    path("", include("octopus.web.alert_urls")),
    path("api/v1/", api.urls),
    path("account/tokens/", token_pages.token_list, name="api-tokens"),
    path(
        "account/tokens/<int:token_id>/revoke/", token_pages.token_revoke, name="api-token-revoke"
    ),
]
