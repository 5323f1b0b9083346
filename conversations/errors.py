"""The one exception a conversation raises when someone asks for something it cannot do now."""


class NotAllowed(Exception):
    """A request the rules refuse. `reason` is short, kind and safe to show to the person as it is."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason
