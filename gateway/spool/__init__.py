"""Durable queue folders between intake and register: the Spool, its files, and the quarantine."""

from gateway.spool.files import QUEUES, SpoolEntryInfo, spool_id_time
from gateway.spool.queue import Spool

__all__ = ["QUEUES", "Spool", "SpoolEntryInfo", "spool_id_time"]
