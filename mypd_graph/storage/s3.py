"""Evidence files in an S3-compatible bucket (AWS S3, MinIO, Ceph ...), through boto3.

The bucket stays private: the app reads each object and serves it after checking who asks, so no
object needs a public or pre-signed URL. Credentials come the way boto3 finds them (the
``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` variables, a profile, an instance role); the
settings name only the bucket, the endpoint (for a server other than AWS), the region and a
prefix for the keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from mypd_graph.storage.base import CHUNK_BYTES, StorageError, check_key


class S3Storage:
    name = "s3"

    def __init__(
        self,
        bucket: str,
        endpoint_url: str | None = None,
        region: str | None = None,
        prefix: str = "",
    ) -> None:
        if not bucket:
            raise StorageError("MYPD_EVIDENCE_S3_BUCKET must name the bucket for evidence files")
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        # boto3 clients are thread-safe; the calls run in worker threads.
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}),
        )

    def object_key(self, key: str) -> str:
        return self.prefix + check_key(key)

    def put(self, key: str, stream: IO[bytes], content_type: str) -> None:
        try:
            self.client.upload_fileobj(
                stream,
                self.bucket,
                self.object_key(key),
                ExtraArgs={"ContentType": content_type},
            )
        except (BotoCoreError, ClientError) as error:
            raise StorageError(
                f"the file could not be stored in bucket {self.bucket}: {error}"
            ) from error

    def read(self, key: str) -> Iterator[bytes]:
        try:
            found = self.client.get_object(Bucket=self.bucket, Key=self.object_key(key))
        except (BotoCoreError, ClientError) as error:
            raise StorageError(f"no stored file {key} in bucket {self.bucket}: {error}") from error
        body = found["Body"]
        return _chunks(body)

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.object_key(key))
        except (BotoCoreError, ClientError) as error:
            raise StorageError(f"the file {key} could not be deleted: {error}") from error

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=self.object_key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise StorageError(f"the file {key} could not be checked: {error}") from error
        return True


def _chunks(body: Any) -> Iterator[bytes]:
    try:
        yield from body.iter_chunks(CHUNK_BYTES)
    finally:
        body.close()
