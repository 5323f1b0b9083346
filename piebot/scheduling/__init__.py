"""The scheduler runtime: check-ins at their slots, windows closed on time, nudges and reminders.

`tick(app, now)` does everything due at `now`; the in-memory jobs (jobs.py) only decide when to
call it. Starting and stopping the jobs are one function each: the leader-elected process owns
them (piebot.scheduling.leader runs them as its "on_elected" / "on_deposed" hooks).
"""

from piebot.scheduling.jobs import reschedule, start, stop
from piebot.scheduling.tick import tick

__all__ = ["reschedule", "start", "stop", "tick"]
