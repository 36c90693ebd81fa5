"""The gate's users for the API the target describes: `locust -f perf/locust_gate.py,perf/locustfile.py`.

Everything comes from the plan the gate writes from the target's `perf:` and `app:` sections (OPSGATE_PERF_PLAN;
the password alone from OPSGATE_PERF_PASSWORD): the host, the login flow the smoke suite uses, the weighted read
requests, and a REST resource each user creates, reads, updates and deletes rows of its own in. Nothing here
names the reference app. A user's rows are deleted again when it stops (also when stopped mid-task at the end of
the run) until none is left.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from typing import Any

import gevent.ssl
from locust import between, tag
from locust.contrib.fasthttp import FastHttpUser

from opsgate.jsonpath import MISSING, json_at

PLAN: dict[str, Any] = json.loads(open(os.environ["OPSGATE_PERF_PLAN"]).read())  # noqa: SIM115 - read at import
PASSWORD = os.environ.get("OPSGATE_PERF_PASSWORD", "")
DELETE_ATTEMPTS = 3


def _tls() -> gevent.ssl.SSLContext:
    return gevent.ssl.create_default_context(cafile=PLAN["ca_bundle"])


class TargetUser(FastHttpUser):
    host = PLAN["base_url"]
    wait_time = between(*PLAN["think_time_s"])
    insecure = False
    ssl_context_factory = staticmethod(_tls)
    connection_timeout = network_timeout = PLAN["timeout_s"]

    def on_start(self) -> None:
        self.token: str | None = None
        self.undeleted: list[str] = []  # rows this user created and has not deleted yet
        if PLAN["login"]:
            self.token = self._log_in(PLAN["login"])

    def on_stop(self) -> None:
        for path in self.undeleted:
            self.delete(path, PLAN["resource"], (200, 202, 204, 404))

    def delete(self, path: str, spec: dict[str, Any], statuses: tuple[int, ...] = (200, 202, 204)) -> bool:
        """A row of this user's own deleted, asked again up to DELETE_ATTEMPTS times: the load must not leave
        rows behind because one answer failed (a 404 on a retry: the first delete went through after all)."""
        for attempt in range(DELETE_ATTEMPTS):
            deleted, _ = self.call("DELETE", path, f"DELETE {spec['path']}/{{id}}", statuses if attempt == 0
                                   else (*statuses, 404), auth=spec["auth"])
            if deleted:
                return True
        return False

    def _log_in(self, flow: dict[str, Any]) -> str | None:
        fields = {flow["username_field"]: PLAN["username"], flow["password_field"]: PASSWORD}
        body = {"json": fields} if flow["encoding"] == "json" else {"data": fields}
        with self.client.request(flow["method"], flow["path"], name="login", catch_response=True, **body) as answer:
            token = json_at(answer.json(), flow["token_path"]) if answer.status_code == 200 else None
            if isinstance(token, str) and token:
                answer.success()
                return token
            answer.failure(f"login answered HTTP {answer.status_code} without a token at {flow['token_path']!r}")
            return None

    def call(self, method: str, path: str, name: str, statuses: tuple[int, ...], *, auth: bool,
             body: dict[str, Any] | None = None) -> tuple[bool, Any]:
        """One request, an error unless it answers one of `statuses`: whether it did, and its JSON answer."""
        headers = {"Authorization": f"Bearer {self.token}"} if auth and self.token else {}
        with self.client.request(method, path, name=name, headers=headers, json=body, catch_response=True) as answer:
            if answer.status_code not in statuses:
                answer.failure(f"HTTP {answer.status_code}, expected {'/'.join(map(str, statuses))}")
                return False, None
            answer.success()
            try:
                return True, (answer.json() if answer.content else None)
            except ValueError:
                return True, None


def _request_task(spec: dict[str, Any]) -> Callable[[TargetUser], None]:
    def request(user: TargetUser) -> None:
        user.call(spec["method"], spec["path"], spec["label"], (spec["status"],), auth=spec["auth"],
                  body=spec["json"])

    return tag(*spec["tags"])(request) if spec["tags"] else request


def _resource_task(spec: dict[str, Any]) -> Callable[[TargetUser], None]:
    collection, one = spec["path"], f"{spec['path']}/{{id}}"

    def write_read_delete(user: TargetUser) -> None:
        _, created = user.call("POST", collection, f"POST {collection}", (200, 201), auth=spec["auth"],
                               body=spec["create"])
        row = json_at(created, spec["id_path"])
        if row is MISSING or row is None:
            return
        path = f"{collection}/{row}"
        user.undeleted.append(path)  # from now on: the run may stop this user before the delete below
        user.call("GET", path, f"GET {one}", (200,), auth=spec["auth"])
        if spec["update"] is not None:
            user.call(spec["update_method"], path, f"{spec['update_method']} {one}", (200, 204), auth=spec["auth"],
                      body=spec["update"])
        if user.delete(path, spec):
            user.undeleted.remove(path)

    return tag(*spec["tags"])(write_read_delete) if spec["tags"] else write_read_delete


TargetUser.tasks = {_request_task(spec): spec["weight"] for spec in PLAN["requests"]}
if PLAN["resource"]:
    TargetUser.tasks[_resource_task(PLAN["resource"])] = PLAN["resource"]["weight"]
