"""Bot API methods about the bot's own account: getMe, its command menus, its name and descriptions,
and where its updates go (setWebhook, deleteWebhook, getWebhookInfo)."""

from __future__ import annotations

import copy
import re
from typing import Any
from urllib.parse import urlparse

from piebot.localapi.checks import Described, RequestChecks
from piebot.localapi.model import bad_request

_SCOPE_TYPES = frozenset({
    "default", "all_private_chats", "all_group_chats", "all_chat_administrators", "chat",
    "chat_administrators", "chat_member",
})


class AccountMethods(RequestChecks):
    """Mixed into LocalBotApi; every ``_api_<name>`` method answers the Bot API method ``<name>``."""

    def _api_getMe(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": not self.privacy_mode,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # ------------------------------------------------------------------------------ commands, texts

    def _scope_key(self, scope: Any) -> tuple[Any, ...]:
        scope = scope or {"type": "default"}
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPE_TYPES:
            raise bad_request("can't parse BotCommandScope")
        kind = scope["type"]
        if kind in ("chat", "chat_administrators", "chat_member"):
            chat = self._resolve_chat(scope.get("chat_id"))
            if kind == "chat_member":
                return (kind, chat.id, int(scope.get("user_id") or 0))
            return (kind, chat.id)
        return (kind,)

    def _api_setMyCommands(self, p: dict[str, Any]) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("too many commands")
        cleaned = []
        for command in commands:
            name = str((command or {}).get("command", ""))
            description = str((command or {}).get("description", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(description) <= 256:
                raise bad_request("command description must be 1-256 characters long")
            cleaned.append({"command": name, "description": description})
        self._commands[(self._scope_key(p.get("scope")), str(p.get("language_code") or ""))] = cleaned
        return True

    def _api_getMyCommands(self, p: dict[str, Any]) -> list[dict[str, str]]:
        key = (self._scope_key(p.get("scope")), str(p.get("language_code") or ""))
        return copy.deepcopy(self._commands.get(key, []))

    def _api_deleteMyCommands(self, p: dict[str, Any]) -> bool:
        self._commands.pop((self._scope_key(p.get("scope")), str(p.get("language_code") or "")), None)
        return True

    def commands(self, scope: Any = None, language_code: str = "") -> list[dict[str, str]]:
        """The commands stored for ``scope`` (a dict or a PTB BotCommandScope) and language."""
        if scope is not None and hasattr(scope, "to_dict"):
            scope = scope.to_dict()
        return copy.deepcopy(self._commands.get((self._scope_key(scope), language_code), []))

    def _set_bot_text(self, p: dict[str, Any], field: str, limit: int) -> bool:
        value = str(p.get(field) or "")
        if len(value) > limit:
            raise bad_request(f"{field.upper()}_INVALID")
        self._bot_texts[(field, str(p.get("language_code") or ""))] = value
        return True

    def _api_setMyDescription(self, p: dict[str, Any]) -> bool:
        return self._set_bot_text(p, "description", 512)

    def _api_setMyShortDescription(self, p: dict[str, Any]) -> bool:
        return self._set_bot_text(p, "short_description", 120)

    def _api_setMyName(self, p: dict[str, Any]) -> bool:
        return self._set_bot_text(p, "name", 64)

    def _api_getMyDescription(self, p: dict[str, Any]) -> dict[str, str]:
        return {"description": self.bot_text("description", str(p.get("language_code") or ""))}

    def _api_getMyShortDescription(self, p: dict[str, Any]) -> dict[str, str]:
        return {"short_description": self.bot_text("short_description", str(p.get("language_code") or ""))}

    def _api_getMyName(self, p: dict[str, Any]) -> dict[str, str]:
        lang = str(p.get("language_code") or "")
        return {"name": self.bot_text("name", lang) or self.bot_user["first_name"]}

    def bot_text(self, field: str, language_code: str = "") -> str:
        """What setMyDescription / setMyShortDescription / setMyName stored."""
        return self._bot_texts.get((field, language_code), "")

    # -------------------------------------------------------------------------------- webhooks

    def _api_setWebhook(self, p: dict[str, Any]) -> Described:
        url = str(p.get("url") or "")
        if not url:
            return self._api_deleteWebhook(p)
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or parsed.hostname not in ("127.0.0.1", "localhost"):
            raise bad_request("bad webhook: the local Bot API server only delivers to 127.0.0.1")
        secret = p.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise bad_request("secret token contains unallowed characters")
        if p.get("allowed_updates") is not None:
            self._allowed_updates = list(p["allowed_updates"])
        if p.get("drop_pending_updates"):
            self._updates.clear()
        was_set = self._webhook is not None and self._webhook["url"] == url
        self._webhook = {"url": url, "secret_token": secret, "max_connections": p.get("max_connections") or 40}
        self._notify()
        return Described(True, "Webhook is already set" if was_set else "Webhook was set")

    def _api_deleteWebhook(self, p: dict[str, Any]) -> Described:
        if p.get("drop_pending_updates"):
            self._updates.clear()
        was_set = self._webhook is not None
        self._webhook = None
        self._notify()
        return Described(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    def _api_getWebhookInfo(self, p: dict[str, Any]) -> dict[str, Any]:
        hook = self._webhook or {}
        info: dict[str, Any] = {
            "url": hook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if hook:
            info["max_connections"] = hook["max_connections"]
            info["ip_address"] = "127.0.0.1"
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
            if "last_error_date" in hook:
                info["last_error_date"] = hook["last_error_date"]
                info["last_error_message"] = hook["last_error_message"]
        return info
