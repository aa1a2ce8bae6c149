"""Turns a channel-neutral ChatReply into plain text for WeChat and Telegram: numbered choices, links, size limits."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from api.chat import feedback
from api.chat.schemas import Button, ChatMessage, ChatReply
from api.core import wording as wording_files

WORDING = "channels"  # api/wording/channels.yml
MAX_CARD_MATERIALS = 8
REQUIRED_WORDING = (
    "welcome",
    "unsupported",
    "voice_unrecognised",
    "unknown_menu",
    "failure",
    "choice_line",
    "guide_link",
    "more_link",
    "card_materials",
    "card_more_materials",
    "card_window",
    "feedback_prompt",
    "feedback_question",
    "feedback_useful",
    "feedback_not_useful",
    "feedback_not_found",
    "feedback_thanks",
    "feedback_thanks_more",
    "feedback_gone",
)
_CHOICE = re.compile(r"^\s*(\d{1,2})\s*[.。、)）]?\s*$")


@lru_cache
def wording() -> dict[str, Any]:
    data = wording_files.load(WORDING)
    missing = [k for k in REQUIRED_WORDING if not isinstance(data.get(k), str)]
    if missing:
        raise wording_files.WordingError(f"{wording_files.path_of(WORDING)} lacks {missing}")
    return dict(data)


def say(key: str, **values: str) -> str:
    text: str = wording()[key]
    return text.format(**values) if values else text


@dataclass
class Rendered:
    chunks: list[str]
    choices: list[Button] = field(default_factory=list)


def guide_url(public_base_url: str, entry_id: str) -> str:
    return f"{public_base_url.rstrip('/')}/guides/{entry_id}"


def _absolute(url: str, public_base_url: str) -> str:
    return public_base_url.rstrip("/") + url if url.startswith("/") else url


def _card_text(card: dict[str, Any], public_base_url: str) -> str:
    """A guide card as text: name, summary, what to bring, where to go, and the link to the full guide."""
    lines: list[str] = []
    name = str(card.get("name") or "").strip()
    if name:
        lines.append(f"【{name}】")
    summary = str(card.get("summary") or "").strip()
    if summary:
        lines.append(summary)
    materials = [m for m in card.get("materials") or [] if isinstance(m, dict) and m.get("name")]
    if materials:
        lines.append(say("card_materials"))
        lines.extend(f"· {m['name']}" for m in materials[:MAX_CARD_MATERIALS])
        if len(materials) > MAX_CARD_MATERIALS:
            lines.append(say("card_more_materials", n=str(len(materials) - MAX_CARD_MATERIALS)))
    window = card.get("window")
    if isinstance(window, dict) and window.get("name"):
        place = " ".join(str(window.get(k) or "") for k in ("floor", "counters")).strip()
        lines.append(say("card_window", name=str(window["name"]), place=place))
    entry_id = card.get("id")
    url = guide_url(public_base_url, entry_id) if isinstance(entry_id, str) and entry_id else card.get("url")
    if isinstance(url, str) and url:
        lines.append(say("guide_link", url=_absolute(url, public_base_url)))
    return "\n".join(lines)


def _message_text(msg: ChatMessage, public_base_url: str) -> str:
    if msg.type == "guide_card" and msg.card:
        card = _card_text(msg.card, public_base_url)
        name = str(msg.card.get("name") or "").strip()
        lead = msg.text.strip()
        return card if not lead or lead == name else f"{lead}\n{card}"
    if msg.type == "link" and msg.url:
        url = msg.url.removeprefix("tel:") if msg.url.startswith("tel:") else _absolute(msg.url, public_base_url)
        title = msg.text.strip()
        return say("more_link", title=title, url=url) if title else url
    return msg.text.strip()


def render(reply: ChatReply, *, public_base_url: str, max_bytes: int, numbered: bool = True) -> Rendered:
    """numbered=True writes buttons as "回复 1 …" lines (WeChat); False leaves them to an inline keyboard."""
    parts: list[str] = []
    choices: list[Button] = []
    for msg in reply.messages:
        text = _message_text(msg, public_base_url)
        lines = [text] if text else []
        for button in msg.buttons:
            choices.append(button)
            if numbered:
                lines.append(say("choice_line", n=str(len(choices)), title=button.title))
        if lines:
            parts.append("\n".join(lines))
    text = "\n\n".join(parts).strip()
    return Rendered(chunks=split_text(text, max_bytes) if text else [], choices=choices)


def offer_feedback(rendered: Rendered, turn_id: int, *, max_bytes: int, numbered: bool = True) -> bool:
    """Adds 有用 / 没用 / 没找到 after an answer as three more choices: numbered=True one line "…回复 3 有用，4 没用，
    5 没找到" (the numbers follow the answer's own), else a question over three buttons (Telegram's keyboard).

    The line goes at the end of the last chunk. A one-chunk answer with no room left stays one chunk, without the
    offer (a second message would cost WeChat's passive reply); a longer one gets the line as a chunk of its own.
    """
    if not rendered.chunks:
        return False
    first = len(rendered.choices) + 1
    if numbered:
        numbers = {v: str(first + i) for i, v in enumerate(feedback.VALUES)}
        line = say("feedback_prompt", **numbers)
    else:
        line = say("feedback_question")
    joined = f"{rendered.chunks[-1]}\n\n{line}"
    if len(joined.encode("utf-8")) <= max_bytes:
        rendered.chunks[-1] = joined
    elif len(rendered.chunks) > 1 and len(line.encode("utf-8")) <= max_bytes:
        rendered.chunks.append(line)
    else:
        return False
    rated = [Button(title=say(f"feedback_{v}"), payload=feedback.payload(turn_id, v)) for v in feedback.VALUES]
    rendered.choices.extend(rated)
    return True


def split_text(text: str, max_bytes: int) -> list[str]:
    """Splits at paragraph, then line, then character boundaries so each chunk fits in max_bytes of UTF-8."""
    if max_bytes < 8:
        raise ValueError("max_bytes is too small")
    chunks: list[str] = []
    current = ""
    for piece in _pieces(text, max_bytes):
        candidate = f"{current}\n{piece}" if current else piece
        if len(candidate.encode("utf-8")) <= max_bytes:
            current = candidate
        else:
            if current:
                chunks.append(current)
            current = piece
    if current:
        chunks.append(current)
    return [c.strip("\n") for c in chunks if c.strip()]


def _pieces(text: str, max_bytes: int) -> list[str]:
    out: list[str] = []
    for line in text.split("\n"):
        while len(line.encode("utf-8")) > max_bytes:
            cut = _cut_point(line, max_bytes)
            out.append(line[:cut])
            line = line[cut:]
        out.append(line)
    return out


def _cut_point(line: str, max_bytes: int) -> int:
    size = 0
    last_space = 0
    for i, ch in enumerate(line):
        size += len(ch.encode("utf-8"))
        if size > max_bytes:
            return last_space if last_space > i // 2 else max(i, 1)
        if ch in " ，。；！？,;":
            last_space = i + 1
    return len(line)


def parse_choice(text: str) -> int | None:
    """A bare number ("1", "１", "2.") picks a numbered choice; anything else is a question."""
    m = _CHOICE.match(unicodedata.normalize("NFKC", text))
    return int(m.group(1)) if m else None
