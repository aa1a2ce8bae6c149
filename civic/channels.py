"""Channel names: one list for the bot, the chat gateway, the case system and the console.

A chat turn comes from a channel (`ChatChannel`), a case is filed under one (`CaseChannel`); the citizen's own
chat channels, the messengers and the web widget, are both. When the bot files a case or a handoff it names the
conversation's channel by `citizen_channel`, and so does the console when an agent turns a handoff into a case,
so a complaint from the mini-program is never filed as the widget's.
"""

from __future__ import annotations

from typing import Literal, get_args

# the signed webhook channels (api/channels): a platform user id behind a keyed sender id, and a send API
Messenger = Literal["wechat", "miniprogram", "telegram"]
# a citizen's own chat channels: where the bot talks, and what its cases and handoffs are filed under
CitizenChat = Literal["widget", Messenger]
# where a /api/chat turn comes from; "api" is a bare caller that did not say it is the widget
ChatChannel = Literal[CitizenChat, "hotline", "api"]
# a case filed by a citizen; "web" is a filing on the public case API, where nobody vouches for a channel
CitizenChannel = Literal[Messenger, "widget", "web"]
StaffChannel = Literal["hotline", "window", "open311"]  # the console and the Open311 routes, in process only
CaseChannel = Literal[CitizenChannel, StaffChannel]

MESSENGERS: frozenset[str] = frozenset(get_args(Messenger))
CITIZEN_CHATS: frozenset[str] = frozenset(get_args(CitizenChat))
CITIZEN_CHANNELS: frozenset[str] = frozenset(get_args(CitizenChannel))
STAFF_CHANNELS: frozenset[str] = frozenset(get_args(StaffChannel))
_OWN: dict[str, CitizenChat] = {name: name for name in get_args(CitizenChat)}
DEFAULT_CHAT: CitizenChat = "widget"


def citizen_channel(name: object) -> CitizenChat:
    """The citizen's channel of a conversation on `name`: a messenger or the widget as named; anything else (a bare
    /api/chat caller, a staff channel in the message metadata, nothing at all) the widget, which anyone may claim."""
    return _OWN.get(name, DEFAULT_CHAT) if isinstance(name, str) else DEFAULT_CHAT
