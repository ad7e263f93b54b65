"""The blob store: content-addressed files, written whole, one at a time or several with one flush."""

from __future__ import annotations

import hashlib

from gateway.register.blobs import BlobStore


def test_many_blobs_at_once_are_stored_once_each_and_read_back(tmp_path):
    store = BlobStore(tmp_path / "blobs")
    first = store.put(b"already here")
    blobs = [b"raw message", "tệp đính kèm".encode(), b"raw message", b"already here"]
    shas = store.put_many(blobs)
    assert shas == [hashlib.sha256(blob).hexdigest() for blob in blobs] and shas[3] == first
    assert [store.get(sha) for sha in shas] == blobs
    assert all(store.verify(sha) for sha in shas)
    leftovers = [p for p in (tmp_path / "blobs").rglob("*") if p.name.startswith(".tmp-")]
    assert leftovers == []
    assert store.put_many([]) == [] and store.put_many([b"raw message"]) == shas[:1]
