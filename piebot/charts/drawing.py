"""The chart functions, in one place for callers. Each returns a PNG `Chart` 1080 px wide and as tall as
what it shows (at most 1350), with a caption of a line or two and its figures in words in `details`, or
raises `NothingToChart` whose message is ready to send as text.

`DETAILS` gives, for each chart function, the function that says its figures in words from the same
arguments without drawing anything (for the "details" button under a chart)."""

from .actions import action_details, action_table
from .profile import distance_details, distance_travelled, team_profile, team_profile_details
from .spread_chart import spread, spread_details
from .trend import responsiveness_trend, trend_details

DETAILS = {
    action_table: action_details,
    distance_travelled: distance_details,
    responsiveness_trend: trend_details,
    spread: spread_details,
    team_profile: team_profile_details,
}

__all__ = ["DETAILS", "action_table", "distance_travelled", "responsiveness_trend", "spread", "team_profile"]
