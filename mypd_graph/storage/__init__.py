"""Where evidence files live: a directory on local disk (the default) or an S3-compatible bucket.

Both backends sit behind :class:`~mypd_graph.storage.base.Storage`, a small interface of four
calls (put, read, delete, exists) keyed by names this service makes itself. Nothing here knows who
may read a file: the service checks access (``services/feedback/attachments.py``) and the app
serves the bytes (``/files/...``), so a bucket never needs to be public.

May import settings only.
"""

from __future__ import annotations

from functools import lru_cache

from mypd_graph.settings import Settings
from mypd_graph.storage.base import Storage, StorageError, check_key
from mypd_graph.storage.local import LocalStorage


def open_storage(settings: Settings) -> Storage:
    """The backend the settings name (one per configuration: a client is built once)."""
    return _open(
        settings.evidence_storage,
        settings.evidence_dir,
        settings.evidence_s3_bucket,
        settings.evidence_s3_endpoint,
        settings.evidence_s3_region,
        settings.evidence_s3_prefix,
    )


@lru_cache(maxsize=8)
def _open(
    kind: str, directory: str, bucket: str, endpoint: str, region: str, prefix: str
) -> Storage:
    if kind == "s3":
        from mypd_graph.storage.s3 import S3Storage  # boto3 is imported only when used

        return S3Storage(bucket, endpoint or None, region or None, prefix)
    return LocalStorage(directory)


__all__ = ["LocalStorage", "Storage", "StorageError", "check_key", "open_storage"]
