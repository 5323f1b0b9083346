"""The chart functions, in one place for callers. Each returns a 1080 x 1350 PNG `Chart` whose caption
says the key figures in words, or raises `NothingToChart` whose message is ready to send as text."""

from .actions import actions_by_theme
from .profile import distance_travelled, team_profile
from .spread import spread
from .trend import responsiveness_trend

__all__ = ["actions_by_theme", "distance_travelled", "responsiveness_trend", "spread", "team_profile"]
