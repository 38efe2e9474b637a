"""The event log lives in the store (``qcoder.store.events``); kept here for existing imports."""

from qcoder.store.events import HISTORY_KEY, log_event

__all__ = ["HISTORY_KEY", "log_event"]
