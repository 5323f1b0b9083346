"""Every Bot API method the local server answers, gathered from the mixins that hold them by concern:

    checks.py    what every method checks first (chat, rights, flood limits, text, keyboard)
    messages.py  sending, editing, deleting, answering presses, files
    chats.py     chats and their members, the bot's reactions on messages
    account.py   the bot's own account: getMe, command menus, descriptions, webhooks
"""

from __future__ import annotations

from piebot.localapi.account import AccountMethods
from piebot.localapi.chats import ChatMethods, ReactionMethods, member_json
from piebot.localapi.checks import Described
from piebot.localapi.messages import MessageMethods

__all__ = ["BotApiMethods", "Described", "member_json"]


class BotApiMethods(MessageMethods, ChatMethods, ReactionMethods, AccountMethods):
    """Mixed into LocalBotApi; every ``_api_<name>`` method answers the Bot API method ``<name>``."""
