"""English and Simplified Chinese: the catalog is complete, compiled, and every page speaks
Chinese when asked to (no English left in the interface, only the data people typed)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest

OCTOPUS = Path(__file__).resolve().parents[1] / "octopus"
CATALOGS = OCTOPUS / "locale" / "zh_Hans" / "LC_MESSAGES"
DOMAINS = ["django", "djangojs"]  # templates and Python; the scripts in static/


def entries(catalog) -> dict:
    return {(e.msgctxt, e.msgid): e for e in catalog if not e.obsolete}


@pytest.mark.parametrize("domain", DOMAINS)
def test_every_message_has_a_chinese_translation(domain: str) -> None:
    po = polib.pofile(str(CATALOGS / f"{domain}.po"))
    assert not po.untranslated_entries(), [e.msgid for e in po.untranslated_entries()]
    assert not po.fuzzy_entries(), [e.msgid for e in po.fuzzy_entries()]
    for e in po.translated_entries():
        text = e.msgstr or e.msgstr_plural[0]
        # Placeholders survive translation (a missing %(name)s would crash at run time).
        assert sorted(re.findall(r"%\(\w+\)s", e.msgid_plural or e.msgid)) == sorted(
            re.findall(r"%\(\w+\)s", text)
        ), e.msgid


@pytest.mark.parametrize("domain", DOMAINS)
def test_the_committed_mo_is_compiled_from_the_po(domain: str) -> None:
    po = entries(polib.pofile(str(CATALOGS / f"{domain}.po")))
    mo = entries(polib.mofile(str(CATALOGS / f"{domain}.mo")))
    assert po.keys() == mo.keys()
    for key, e in po.items():
        assert (e.msgstr, dict(e.msgstr_plural)) == (mo[key].msgstr, dict(mo[key].msgstr_plural))


@pytest.mark.skipif(not shutil.which("xgettext"), reason="needs gettext (scripts/setup --test)")
def test_the_catalog_covers_every_marked_string(tmp_path: Path) -> None:
    copy = tmp_path / "octopus"
    shutil.copytree(OCTOPUS, copy, ignore=shutil.ignore_patterns("__pycache__"))
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "octopus.settings",
        "PYTHONPATH": str(OCTOPUS.parent),
        "OCTOPUS_SECRET_KEY": "x",
        "OCTOPUS_DATA_DIR": str(tmp_path / "data"),
    }
    missing = []
    for domain, ignore in (("django", "static/*"), ("djangojs", "templates/*")):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "django",
                "makemessages",
                "-l",
                "zh_Hans",
                "--no-obsolete",
                "-d",
                domain,
                "--ignore",
                ignore,
            ],
            cwd=copy,
            check=True,
            capture_output=True,
            env=env,
        )
        fresh = entries(polib.pofile(str(copy / "locale/zh_Hans/LC_MESSAGES" / f"{domain}.po")))
        # New strings come back empty, or "fuzzy" when msgmerge guessed from a similar one.
        missing += [
            key
            for key, e in fresh.items()
            if "fuzzy" in e.flags or not (e.msgstr or any(e.msgstr_plural.values()))
        ]
    assert not missing, f"strings marked for translation but not in the catalog: {missing}"


class VisibleText(HTMLParser):
    """Text a person reads: text nodes plus placeholder/title/aria-label, without code,
    times and data shown in monospace."""

    SKIP = {"script", "style", "code", "pre", "time", "title", "svg"}
    VOID = {"input", "br", "img", "meta", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []
        self.texts: list[str] = []
        self.option_value: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        skip = (
            tag in self.SKIP
            or "mono" in (a.get("class") or "").split()
            or (a.get("lang") or "").startswith("en")  # the switch back to English
        )
        self.option_value = a.get("value") if tag == "option" else None
        if tag not in self.VOID:
            self.stack.append(skip or (bool(self.stack) and self.stack[-1]))
        for name in ("placeholder", "title", "aria-label"):
            if a.get(name) and not (self.stack and self.stack[-1]):
                self.texts.append(a[name])

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.option_value is not None and self.option_value == data.strip():
            return  # an option shown as its own value: data (a zone, a user, a worker)
        if not (self.stack and self.stack[-1]) and data.strip():
            self.texts.append(data.strip())


# Words that stay as they are in the Chinese interface: names and technical terms.
ALLOWED = set(
    re.findall(
        r"\w+",
        """octopus english utc api cpu smtp webhook slack lark pid ms sec rest iana bearer
        authorization token docs http https hmac sha256 url dingtalk wecom all local error warn
        info debug trace fatal none server enroll name hostname labels linux python org example
        com key value args hourly daily shell cursor id ssl tls starttls javascript""",
    )
)


def english_words(html: str, data_words: set[str]) -> set[str]:
    parser = VisibleText()
    parser.feed(html)
    words = set()
    for text in parser.texts:
        text = re.sub(r"https?://\S+", "", text)  # an example address is not prose
        for word in re.findall(r"[A-Za-z_]{2,}", text):
            if "_" in word:
                continue  # a setting or variable name, e.g. OCTOPUS_EMAIL_FROM
            if word.lower() not in ALLOWED and word.lower() not in data_words:
                words.add(word)
    return words


@pytest.mark.django_db
def test_every_page_speaks_chinese(client, admin_user, make_job, make_worker) -> None:
    from octopus.accounts import audit
    from octopus.alerts.models import Alert, Channel
    from octopus.runs.models import Run

    worker = make_worker("box", labels=["python3.11"])
    job = make_job(
        "nightly-report",
        command="echo report",
        tags=["daily"],
        schedule="0 3 * * *",
        owner=admin_user,
        retries=2,
        timeout=60,
        heartbeat_timeout=30,
    )
    run = Run.objects.create(
        job=job,
        trigger="schedule",
        state="failed",
        worker=worker,
        reason="exit code 3",
        args=["x"],
        cursor_start="7",
    )
    Run.objects.create(
        job=job, trigger="retry", state="running", worker=worker, retry_of=run, attempt=2
    )
    audit.record(
        "job.update", actor=admin_user, obj=job, before={"timeout": 0}, after={"timeout": 60}
    )
    channel = Channel.objects.create(name="ops-mail", kind="email", config={"to": ["a@b.org"]})
    from django.utils import timezone

    alert = Alert.objects.create(
        kind="run_failed",
        job=job,
        title="nightly-report failed",
        first_seen=timezone.now(),
        last_seen=timezone.now(),
    )
    data_words = {
        w.lower()
        for w in re.findall(
            r"[A-Za-z]{2,}",
            " ".join(
                [
                    "nightly-report echo report daily box alice ops-mail exit code zzz",
                    admin_user.username,
                    alert.title,
                    "job update timeout",
                ]
            ),
        )
    }

    client.cookies["django_language"] = "zh-hans"
    login = client.get("/login/").content.decode()
    assert "登录" in login and not english_words(login, data_words)
    client.force_login(admin_user)
    pages = [
        "/",
        "/jobs/",
        f"/jobs/{job.id}/",
        "/jobs/new/",
        f"/jobs/{job.id}/edit/",
        f"/jobs/{job.id}/clone/",
        "/runs/",
        f"/runs/{run.id}/",
        "/workers/",
        "/workers/enroll/",
        "/people/",
        "/people/new/",
        f"/people/{admin_user.id}/",
        "/audit/",
        "/alerts/",
        f"/alerts/{alert.id}/",
        "/alerts/channels/",
        f"/alerts/channels/{channel.id}/",
        "/alerts/channels/new/dingtalk/",
        f"/jobs/{job.id}/alerts/",
        "/account/tokens/",
        "/logs/",
        "/logs/?q=hello&since=zzz",
        f"/jobs/{job.id}/live/",
    ]
    leftovers = {}
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        assert '<html lang="zh-hans">' in html, path
        words = english_words(html, data_words)
        if words:
            leftovers[path] = sorted(words)
    assert not leftovers, leftovers
