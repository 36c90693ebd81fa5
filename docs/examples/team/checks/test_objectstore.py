"""The object store answers, and the bucket the app stores uploads in exists.

Both ask without credentials, so they need no secret and change nothing. Without credentials an S3 store still
tells a missing bucket (404 NoSuchBucket) from one that exists (200, or 403 when it is private, as on MinIO and
AWS S3). Whether the app's own key may write there is a question for a signed request (boto3), left out here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from opsgate.core.verdict import fail
from opsgate.probes.http import HttpClient

if TYPE_CHECKING:
    from conftest import ObjectStore  # the settings model this folder's conftest.py declares

pytestmark = pytest.mark.objectstore


@pytest.mark.runbook("objectstore/down")
def test_store_answers(store: HttpClient, request: pytest.FixtureRequest) -> None:
    answer = store.call("GET", "/")
    answer.expect_reachable()  # no answer, or a 502/503/504: objectstore/down
    assert answer.status is not None and answer.status < 500, (
        f"{answer.request} answered HTTP {answer.status}: the store is up but failing"
    )
    # What a passing check measured: a property of its testcase in the JUnit XML (pytest's record_property
    # fixture does the same, with a warning under the default junit_family).
    request.node.user_properties.append(("store_answer", f"HTTP {answer.status} in {answer.elapsed_ms:.0f} ms"))


@pytest.mark.runbook("objectstore/bucket-missing", "objectstore/down")
def test_uploads_bucket_exists(store: HttpClient, objectstore: ObjectStore, request: pytest.FixtureRequest) -> None:
    answer = store.call("HEAD", objectstore.bucket)
    answer.expect_reachable()
    if answer.status == 404:
        fail("objectstore/bucket-missing", f"{answer.request} answered 404: bucket {objectstore.bucket} does not "
                                           "exist, so every upload fails")
    if answer.status is not None and answer.status >= 500:
        fail("objectstore/down", f"{answer.request} answered HTTP {answer.status}: the store is up but failing")
    assert answer.status in (200, 403), (
        f"{answer.request} answered HTTP {answer.status}, expected 200 (or 403: it exists but is private)"
    )
    request.node.user_properties.append(("bucket", f"{objectstore.bucket}: HTTP {answer.status} in "
                                                  f"{answer.elapsed_ms:.0f} ms"))
