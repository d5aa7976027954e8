"""Browser tests: the stack as ``make run`` starts it (free ports, a tmp var dir) and Debian's Chromium.

Chromium comes from the ``chromium`` package (``.ci/run`` installs it); Playwright's PyPI wheel drives it
through ``executable_path`` — ``playwright install`` is never run. Without Chromium every test here is
skipped and the reason shows in the summary (``-ra``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from leadline.cli.stack import DEFAULT_PORTS, DEV_ACCOUNTS_FILE, Stack, StackConfig
from leadline.platform.embedded import free_port
from tests.conftest import REPO

ACCOUNT = "acme-motors"  # deploy/dev/accounts.yaml
CHROMIUM = os.environ.get("LEADLINE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO / "var" / "screenshots"
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 20_000  # the first message of a test waits for the consumer groups to join
STACK_ENV = {"POOL_WAIT_CHECK_INTERVAL_S": "1", "PROFILE_PHOTO_ROUND_INTERVAL_S": "1"}
"""The settings the browser stack changes from make run's: background checks every second."""


def why_no_browser() -> str | None:
    if not Path(CHROMIUM).exists():
        return (
            f"browser tests skipped: no Chromium at {CHROMIUM} "
            "(apt-get install -y chromium — .ci/run does it — or set LEADLINE_CHROMIUM)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests skipped: the playwright package is missing (make install)"
    return None


def pytest_collection_modifyitems(items) -> None:
    reason = why_no_browser()
    for item in items:
        if reason and "tests/browser" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="package")
def stack() -> Iterator[StackConfig]:
    """The whole system through the same ``Stack`` as ``leadline run``, on ports nobody else uses; one for every
    browser test module (starting it is most of their time). Package-scoped, like ``chromium``: Playwright's sync API
    keeps an event loop running in this thread while it is open, and the suite's other tests run their own.

    Its var dir is under the repository's ``var/test`` (logs kept for a failed run): the embedded PostgreSQL
    runs as its own user, which may not enter pytest's private tmp dirs.
    """
    ports = {name: free_port() for name in DEFAULT_PORTS}
    env_backup = {k: os.environ.pop(k) for k in ("KAFKA_BOOTSTRAP_SERVERS", "DATABASE_URL") if k in os.environ}
    # the settings not make run's: the pool-wait check every second instead of every 15 s, so the "answer quickly"
    # test waits seconds for the alert it proves (the threshold itself is the account's setting),
    # and the profile-photo worker's round every second instead of every 5 minutes, so a customer's photo shows
    # within seconds of their first message
    env_backup.update({k: os.environ[k] for k in STACK_ENV if k in os.environ})
    os.environ.update(STACK_ENV)
    var_dir = REPO / "var" / "test" / f"browser-{os.getpid()}"
    shutil.rmtree(var_dir, ignore_errors=True)
    var_dir.mkdir(parents=True)
    # make run's accounts, with the Evolution number's instance at this stack's fake Evolution API (not :8011)
    accounts = var_dir / "accounts.yaml"
    accounts.write_text(
        DEV_ACCOUNTS_FILE.read_text().replace(
            f"http://127.0.0.1:{DEFAULT_PORTS['fakeevolution']}", f"http://127.0.0.1:{ports['fakeevolution']}"
        )
    )
    env_backup.update({k: os.environ[k] for k in ("ROUTER_CONFIG_FILE",) if k in os.environ})
    os.environ["ROUTER_CONFIG_FILE"] = str(accounts)
    config = StackConfig(var_dir=var_dir, kafka_port=free_port(), ports=ports)
    started = Stack(config, say=lambda *_: None)
    try:
        started.start()
        yield config
    finally:
        started.stop()
        for name in (*STACK_ENV, "ROUTER_CONFIG_FILE"):
            os.environ.pop(name, None)
        os.environ.update(env_backup)


@pytest.fixture(autouse=True)
def patient_expectations():
    """Every browser test's expectations wait as long (Playwright's default of 5 s is shorter than a group join)."""
    from playwright.sync_api import expect

    expect.set_options(timeout=WAIT_MS)


@pytest.fixture(scope="package")
def chromium() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="package")
def screenshots() -> Path:
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


class Customer:
    """A WhatsApp customer played through the fake Graph API's control API."""

    def __init__(self, fake_url: str, wa_id: str, name: str, phone_number_id: str = "106540352242922") -> None:
        self.fake_url, self.wa_id, self.name, self.phone_number_id = fake_url, wa_id, name, phone_number_id

    def says(self, text: str) -> None:
        answer = httpx.post(
            f"{self.fake_url}/_fake/customers/{self.wa_id}/say",
            timeout=15,
            json={"phone_number_id": self.phone_number_id, "kind": "text", "text": text, "profile_name": self.name},
        )
        answer.raise_for_status()
        assert answer.json().get("webhook_status") == 200, answer.text

    def sends(self, kind: str, **fields) -> str:
        """Media, a place or a contact card, as ``leadline simulate say --kind`` sends it (real files the fake serves)."""
        answer = httpx.post(
            f"{self.fake_url}/_fake/customers/{self.wa_id}/say",
            timeout=15,
            json={"phone_number_id": self.phone_number_id, "kind": kind, "profile_name": self.name, "fields": fields},
        )
        answer.raise_for_status()
        assert answer.json().get("webhook_status") == 200, answer.text
        return answer.json()["wamid"]

    def business_app_sends(self, kind: str, **fields) -> None:
        """Someone at the dealership sends this customer media from the WhatsApp Business app (an echo)."""
        answer = httpx.post(
            f"{self.fake_url}/_fake/echoes",
            timeout=15,
            json={"phone_number_id": self.phone_number_id, "to": self.wa_id, "kind": kind, "fields": fields},
        )
        answer.raise_for_status()
        assert answer.json().get("webhook_status") == 200, answer.text

    def received(self) -> list[dict]:
        return httpx.get(f"{self.fake_url}/_fake/sent", params={"to": self.wa_id}, timeout=5).json()["data"]

    def wait_for(self, check, timeout_s: float = 20.0) -> list[dict]:
        deadline = time.monotonic() + timeout_s
        while True:
            sent = self.received()
            if check(sent) or time.monotonic() > deadline:
                return sent
            time.sleep(0.2)


class Api:
    """The page's APIs as one seeded agent (a dev log-in token), for the set-up a browser test need not click."""

    def __init__(self, web: str, agent_id: str) -> None:
        login = httpx.post(f"{web}/api/dev/login", json={"account_id": ACCOUNT, "agent_id": agent_id}, timeout=10)
        login.raise_for_status()
        self.client = httpx.Client(
            base_url=web, timeout=10, headers={"Authorization": f"Bearer {login.json()['token']}"}
        )

    def ok(self, method: str, path: str, **kwargs) -> dict:
        answer = self.client.request(method, path, **kwargs)
        assert answer.is_success, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json()

    def conversation_of(self, number: str, phone_number_id: str, timeout_s: float = 20) -> str:
        deadline = time.monotonic() + timeout_s
        while True:
            items = self.ok("GET", "/api/router/conversations", params={"q": number, "limit": 50})["items"]
            found = [c for c in items if c["phone_number_id"] == phone_number_id and c["status"] != "finished"]
            if found:
                return found[0]["conversation_id"]
            assert time.monotonic() < deadline, f"no conversation of {number} on {phone_number_id}"
            time.sleep(0.2)

    def form_says(self, conversation_id: str, saving: str, timeout_s: float = 20) -> dict:
        """The Add lead form once it says ``saving`` (the leads service follows account settings from the router's events)."""
        deadline = time.monotonic() + timeout_s
        while (form := self.ok("GET", f"/api/leads/conversations/{conversation_id}/lead-form"))["saving"] != saving:
            assert time.monotonic() < deadline, f"the form still says {form['saving']}, not {saving}"
            time.sleep(0.2)
        return form

    def add_lead(self, conversation_id: str, name: str, mobile: str) -> dict:
        return self.ok(
            "POST",
            "/api/leads/leads",
            json={
                "conversation_id": conversation_id,
                "idempotency_key": conversation_id,
                "name": name,
                "mobile": mobile,
            },
        )


TAKERS = ("ana", "carla", "diego")  # one of them sees every pool of deploy/dev/accounts.yaml


@pytest.fixture(autouse=True)
def nobody_left_waiting(stack) -> Iterator[None]:
    """The browser tests share one stack, and the page counts what waits for an agent in its pools and tabs (the
    chat button, the window title): whatever order the tests run in, each one leaves nobody waiting, as sellers
    would — a customer still in a pool is taken (Add lead, with the form's own suggestions) and every conversation
    still open is finished by its owner."""
    yield
    web = stack.url("web")
    admin = Api(web, "diego")  # an administrator sees every conversation of the account
    deadline = time.monotonic() + WAIT_MS / 1000
    while left := [
        c
        for c in admin.ok("GET", "/api/router/conversations", params={"limit": 200})["items"]
        if c["status"] != "finished"
    ]:
        assert time.monotonic() < deadline, f"conversations the test left open: {left}"
        for conversation in left:
            if conversation["owner_id"]:
                Api(web, conversation["owner_id"]).client.post(
                    f"/api/router/conversations/{conversation['conversation_id']}/finish"
                )
            else:
                take(web, conversation["conversation_id"])
        time.sleep(0.2)


def take(web: str, conversation_id: str) -> None:
    """Add lead by the first seeded agent who may (the router then makes them the owner)."""
    for agent_id in TAKERS:
        api = Api(web, agent_id)
        form = api.client.get(f"/api/leads/conversations/{conversation_id}/lead-form")
        lead = {"name": form.json()["name"], "mobile": form.json()["mobile"]} if form.is_success else None
        if (
            lead
            and api.client.post(
                "/api/leads/leads",
                json={"conversation_id": conversation_id, "idempotency_key": conversation_id, **lead},
            ).is_success
        ):
            return


DEV_SETTINGS = {"process_type": 1, "lead_unification": True, "pool_wait_alert_seconds": 300}  # deploy/dev/accounts.yaml


@contextlib.contextmanager
def account_settings(web: str, **changes) -> Iterator[None]:
    """The seeded account with these settings changed (by its administrator, through the admin API) for a while."""
    admin = Api(web, "diego")
    admin.ok("PUT", "/api/router/admin/settings", json={**DEV_SETTINGS, **changes})
    try:
        yield
    finally:
        admin.ok("PUT", "/api/router/admin/settings", json=DEV_SETTINGS)
