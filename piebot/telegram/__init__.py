"""Everything that knows about Telegram lives in this package: one sub-package per feature, the
shared plumbing beside them, and one composition root (app.build_application).

    delivery/       updates in (polling, webhook), calls out (the rate limiter)
    people/         arriving, /setup, joining, leaving, data rights
    rounds/         Pizazz rounds: live in the group, or in people's own time
    checkins/       check-ins, reminders, /schedule, /support
    charts/         /chart, /report, /export, charts after a round or check-in
    peer_review/    a colleague from another team reviews a round
    networks/       organisations and networks looking across teams
    service_users/  a parallel round entered by a scribe

    runtime   what every handler needs (settings, database; apply = commit with the update's id)
    callbacks button data: parse and check every press   replies   free text routed to a feature
    guards    who may do what                             links     signed deep links
    gatekeeper flood limits per person, before any feature sees an update

Handlers hold no SQL (piebot.storage does) and no words (conversations.texts does).
"""
