"""How a PIEs 2.0 session goes: the Pizazz stages, live and async rounds, check-ins and schedules.

Plain Python over plain values. Nothing here knows about Telegram or the database: the adapter turns
updates into calls on these rules and sends the texts and keyboards they return (HTML parse mode).
"""
