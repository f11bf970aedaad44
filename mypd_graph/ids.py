"""Global IDs: the ``Type:id`` codec the API issues, below every layer that reads or writes them.

It lives here, not in :mod:`mypd_graph.schema.relay` (which uses it for the Relay ``Node``
interface), so that code below the GraphQL layer, such as an importer that accepts the IDs users
copy from the API, can decode them without importing the schema.
"""

from __future__ import annotations

import base64
import binascii

MAX_DB_ID = 2**31 - 1  # integer primary keys on PostgreSQL; larger numbers were never issued


def to_global_id(type_name: str, db_id: int) -> str:
    """The opaque ID the API shows for a row (a ``strawberry.ID``, which is a ``str``)."""
    return base64.urlsafe_b64encode(f"{type_name}:{db_id}".encode()).decode()


def from_global_id(global_id: str) -> tuple[str, int]:
    """``(type name, database id)``; raises ValueError for anything this API did not issue."""
    try:
        type_name, _, raw_id = base64.urlsafe_b64decode(global_id.encode()).decode().partition(":")
        db_id = int(raw_id)
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise ValueError(f"{global_id!r} is not an ID this API issued") from error
    if not type_name or not 1 <= db_id <= MAX_DB_ID:
        raise ValueError(f"{global_id!r} is not an ID this API issued")
    return type_name, db_id
