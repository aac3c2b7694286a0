"""A module whose name contains `test` but is not a test."""

import hashlib


def digest(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()
