"""The chart functions, in one place for callers. Each returns a PNG `Chart` 1080 px wide (1350 high, or
as tall as its rows for the actions) whose caption says the key figures in words, or raises
`NothingToChart` whose message is ready to send as text."""

from .actions import action_table
from .profile import distance_travelled, team_profile
from .spread import spread
from .trend import responsiveness_trend

__all__ = ["action_table", "distance_travelled", "responsiveness_trend", "spread", "team_profile"]
