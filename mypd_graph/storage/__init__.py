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


@lru_cache(maxsize=8)
def open_storage(settings: Settings) -> Storage:
    """The backend the settings name (one per settings object: a client is built once)."""
    if settings.evidence_storage == "s3":
        from mypd_graph.storage.s3 import S3Storage  # boto3 is imported only when used

        return S3Storage(
            bucket=settings.evidence_s3_bucket,
            endpoint_url=settings.evidence_s3_endpoint or None,
            region=settings.evidence_s3_region or None,
            prefix=settings.evidence_s3_prefix,
        )
    return LocalStorage(settings.evidence_dir)


__all__ = ["LocalStorage", "Storage", "StorageError", "check_key", "open_storage"]
