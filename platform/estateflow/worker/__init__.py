"""The worker: fires what falls due (warnings, deadlines, timers, shift handovers) and
sends queued notifications, round after round.

Layer: above ``services``, beside ``web``; it reaches the database only through
``services`` and imports neither ``store`` nor ``web``. ``estateflow worker`` runs it on
its own; ``estateflow serve`` runs :func:`run_worker` beside the web app.
"""

from estateflow.worker._loop import (
    BATCH,
    EXIT_AFTER_VARIABLE,
    FAULT_EXIT_STATUS,
    POLL_INTERVAL,
    TESTING_VARIABLE,
    WorkerStats,
    exit_after_from_env,
    run_worker,
    testing,
)
from estateflow.worker._senders import NOTIFY_TO, LogSender, SmtpSender, parse_addresses

__all__ = (
    "BATCH",
    "EXIT_AFTER_VARIABLE",
    "FAULT_EXIT_STATUS",
    "NOTIFY_TO",
    "POLL_INTERVAL",
    "TESTING_VARIABLE",
    "LogSender",
    "SmtpSender",
    "WorkerStats",
    "exit_after_from_env",
    "parse_addresses",
    "run_worker",
    "testing",
)
