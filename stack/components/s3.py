"""An S3-compatible object store on 127.0.0.1 (moto in server mode) holding the nightly dumps, as the runbooks'
"daily full backup to S3" leaves them: the backup job's files uploaded under `nightly/` in one bucket. It keeps
its objects in memory, so they are uploaded again whenever it (re)starts. And the fault that breaks it: the
bucket gone (a lifecycle rule, a wrong bucket name in the job).

moto does not check credentials; the gate sends the target's anyway, as it would to AWS.
"""

from __future__ import annotations

import sys
from typing import Any

import boto3

from stack.components.backups import BACKUPS
from stack.config import HOST, PORTS, SECRETS
from stack.model import Component, Controller, Fault, Service
from stack.probes import probe_http

BUCKET, PREFIX = "opsgate-backups", "nightly/"
ENDPOINT = f"http://{HOST}:{PORTS['s3']}"
ACCESS_KEY_ID = "opsgate"


def client() -> Any:
    return boto3.client("s3", endpoint_url=ENDPOINT, region_name="us-east-1", aws_access_key_id=ACCESS_KEY_ID,
                        aws_secret_access_key=SECRETS["OPSGATE_S3_SECRET"])


def upload_backups(_stack: Controller | None = None) -> None:
    """The bucket with exactly the backup job's current files."""
    s3 = client()
    if BUCKET not in {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}:
        s3.create_bucket(Bucket=BUCKET)
    for item in s3.list_objects_v2(Bucket=BUCKET, Prefix=PREFIX).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    for path in sorted(BACKUPS.iterdir(), key=lambda path: path.stat().st_mtime):  # oldest first, as uploaded
        s3.upload_file(str(path), BUCKET, PREFIX + path.name)


def _remove_bucket(_stack: Controller) -> None:
    s3 = client()
    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        s3.delete_object(Bucket=BUCKET, Key=item["Key"])
    s3.delete_bucket(Bucket=BUCKET)


def component() -> Component:
    service = Service(
        name="s3",
        port=PORTS["s3"],
        url=ENDPOINT,
        command=lambda: [sys.executable, "-m", "moto.server", "-H", HOST, "-p", str(PORTS["s3"])],
        ready=probe_http(f"{ENDPOINT}/moto-api/"),
        depends_on=("app",),  # the app's first readiness makes the nightly files the store receives
        after_ready=upload_backups,
    )
    return Component("s3", services=(service,), faults=(
        Fault("s3-backup-unreadable", f"the bucket {BUCKET} holding the nightly dumps is gone", _remove_bucket,
              undo=upload_backups),
    ))
