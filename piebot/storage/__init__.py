"""Storage: the schema, the engine and the migrations that keep them in step."""

from piebot.storage.db import Database, session_scope

__all__ = ["Database", "session_scope"]
