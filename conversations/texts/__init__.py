"""What the bot says during a Pizazz round, one module per conversation that sends it."""
