"""The one answer decision of the gateway: every channel, the Rasa actions and the degraded path call `answer()`.

Order: an explicit entry (a pressed button) → a message that names no errand follows the last entry in context
→ the centre's own facts (hours, address, parking…) → search + `index.decision.decide` (answer / clarify /
abstain) → a grievance (the complaint entry first and complaint words, nothing specific asked) is `complaint` →
for an answer, a matching FAQ of that entry, else the asked field, else a short overview.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Literal

from api.answer.compose import Composer
from api.chat.cards import ROUTE_OF_KIND
from api.chat.content import Messages
from api.chat.schemas import ChatMessage, Route
from api.core import wording
from api.state import AppState
from index import asked as asked_mod
from index import cues, text
from index.asked import Asked
from index.decision import Decision, DecisionCalibration, decide_twice, errand_search, load_calibration
from index.search import EmptyQuery

DecisionKind = Literal["answer", "clarify", "abstain", "site", "complaint"]
# measured on tests/data/precision_questions.jsonl: FAQ paraphrases score 0.93–0.995 against their FAQ, field
# questions ("居住证收费吗") up to 0.967 against an unrelated FAQ of the same errand
FAQ_MIN_COSINE = 0.925
FAQ_NEAR_COPY = 0.975
FAQ_MIN_COSINE_WHOLE = 0.96


@functools.cache
def _same_question_again() -> re.Pattern[str]:
    """The same question about another errand ("那身份证呢" after "社保卡补办多少钱"; chat.yml `reading`)."""
    return re.compile(wording.text("chat", "reading.same_question_again"))


def _window_word() -> str:
    return wording.text("chat", "reading.window")


def _asks_for_a_window(norm: str) -> bool:
    """The message says 窗口 and asks where a window is ("办营业执照的窗口在几楼", "帮办代办在哪个窗口")."""
    return _window_word() in norm and "window" in cues.detect(norm)


@dataclass
class Answer:
    decision: DecisionKind
    messages: list[ChatMessage]
    route: Route = field(default_factory=Route)
    asked: str | None = None  # fee / time / where / online / materials / who / whole / faq / a site fact
    confidence: float | None = None
    choices: list[str] = field(default_factory=list)  # clarify: the ids offered


class Answerer:
    """Reads the catalogue and searcher from AppState on every call, so a hot index swap is seen at once."""

    def __init__(self, state: AppState, messages: Messages, calibration: DecisionCalibration | None = None) -> None:
        self.state = state
        self.messages = messages
        self.calibration = calibration or load_calibration()
        self._window_names: tuple[str, tuple[str, ...]] = ("", ())  # (catalogue digest, window names without 窗口)

    def _composer(self) -> Composer:
        return Composer(self.state.catalogue, self.messages)

    def answer(
        self,
        message: str | None,
        *,
        last_id: str | None = None,
        last_asked: str | None = None,
        entry_id: str | None = None,
        asked: str | None = None,
    ) -> Answer:
        cat = self.state.catalogue
        wanted: Asked | None = asked if asked in asked_mod.ASPECTS else None  # type: ignore[assignment]
        # ids from outside (a bot entity, the last answer of an older session) may name an alias entry (same_as)
        entry_id = cat.resolve(entry_id) if entry_id else entry_id
        last_id = cat.resolve(last_id) if last_id else last_id
        if entry_id:
            if cat.kind_of(entry_id) is None:
                return self._abstain(None)
            return self._entry(entry_id, wanted, None, 1.0)
        norm = text.normalize(message or "")
        if not text.strip_punct(norm):
            return self._abstain(None)
        if self.state.searcher is not None:
            norm = self.state.searcher.readable(norm)  # typed pinyin: the aspect and FAQ read the words it spells
        wanted = wanted or asked_mod.asked_about(norm)
        if wanted is None and last_asked in asked_mod.ASPECTS and _same_question_again().match(norm):
            wanted = last_asked  # type: ignore[assignment]
        if last_id and cat.kind_of(last_id) and asked_mod.names_nothing(norm) and wanted is not None:
            return self._entry(last_id, wanted, None, None, norm)
        bare = asked_mod.is_bare_topic(norm)
        decision = self._decide(norm, bare)
        top_id = decision.top.id if decision.top is not None and decision.kind != "abstain" else None
        if cues.is_grievance(norm, top_id, wanted_nothing=wanted in (None, "whole")):
            # "为了一个章来回跑了四回", "踢皮球，社保说找医保…": a grievance told, not a question about the 办不成事
            # window ("办不成事反映窗口在几号" asks where): the complaint path, on every channel
            confidence = decision.top.score if decision.top is not None else None
            return Answer(decision="complaint", messages=[], route=Route(kind="complaint"), confidence=confidence)
        site = self._site(norm, decision)
        if site is not None:
            return site
        if decision.kind == "abstain":
            if last_id and cat.kind_of(last_id) and wanted is not None:  # a follow-up search cannot place
                return self._entry(last_id, wanted, None, None, norm)
            return self._abstain(decision.top.score if decision.top else None)
        assert decision.top is not None
        if decision.kind == "clarify":
            choices = [(h.id, h.kind, h.name) for h in decision.choices]
            return Answer(
                decision="clarify",
                messages=self._composer().clarify(choices),
                asked=wanted,
                confidence=decision.top.score,
                choices=[h.id for h in decision.choices],
            )
        top = decision.top
        if wanted == "where" and top.kind == "item" and top.window and _asks_for_a_window(norm):
            # "办营业执照的窗口在几楼" asks for the window (where, which counters, what else it does), not the errand
            return self._entry(top.window, "where", None, top.score)
        faq = None if bare else self._faq(norm, top.id, wanted)
        reply = self._entry(top.id, None if faq is not None else wanted, faq, top.score, norm)
        reply.messages += self._composer().alternatives([(h.id, h.kind, h.name) for h in decision.alternatives])
        return reply

    # ---- parts ----

    def _decide(self, norm: str, bare: bool) -> Decision:
        searcher = self.state.searcher
        if searcher is None:
            return Decision("abstain")
        try:
            hits = searcher.search(norm, k=5).hits
        except EmptyQuery:
            return Decision("abstain")
        return decide_twice(hits, lambda: errand_search(searcher, norm), self.calibration, bare=bare)

    def _faq(self, norm: str, entry_id: str, wanted: Asked | None) -> int | None:
        """The FAQ the message asks, if any. e5 puts any two questions about one errand near 0.9, so a message
        that asks a field (fee, time…) takes an FAQ only when that FAQ asks the same thing or is a near copy."""
        searcher, entry = self.state.searcher, self.state.catalogue.get(entry_id)
        if searcher is None or entry is None:
            return None
        scores = searcher.faq_scores(norm, entry_id)
        if not scores or len(scores) != len(entry.faqs):
            return None
        best = max(range(len(scores)), key=scores.__getitem__)
        cosine = scores[best]
        if cosine >= FAQ_NEAR_COPY:
            return best
        faq_asks = asked_mod.asked_about(text.normalize(entry.faqs[best].q))
        if wanted is None:
            return best if cosine >= FAQ_MIN_COSINE else None
        if wanted == "whole":  # "护照怎么办" is the procedure, though "护照丢了怎么办？" scores 0.953
            return best if cosine >= FAQ_MIN_COSINE_WHOLE else None
        if wanted == "where":  # the window, floor and counters are the answer; an FAQ about "where" rarely has them
            return None
        return best if faq_asks == wanted and cosine >= FAQ_MIN_COSINE else None

    def _site(self, norm: str, decision: Decision) -> Answer | None:
        """A fact of the centre when the message names the centre, or names no errand search can place."""
        site = self.state.catalogue.site
        facility = asked_mod.facility_of(norm, site)
        fact = asked_mod.site_fact(norm)
        if facility is None and fact is None:
            return None
        if (
            fact == "address"
            and facility is None
            and ((_asks_for_a_window(norm) and not asked_mod.names_the_centre(norm)) or self._names_a_window(norm))
        ):
            # "帮办代办在哪个窗口", "政务中心帮办代办在哪" ask for a window in the hall, never for the centre's address
            return None
        about_centre = asked_mod.names_the_centre(norm) or asked_mod.names_nothing(norm)
        if not about_centre and decision.kind == "answer":
            return None  # "结婚登记在哪" is about the errand
        if not about_centre and facility is None and decision.kind == "clarify":
            return None
        messages = self._composer().site(fact or "facility", facility)
        return Answer(decision="site", messages=messages, asked=f"site:{fact or 'facility'}")

    def _names_a_window(self, norm: str) -> bool:
        """The message holds a window's name or alias without its 窗口 ("帮办代办在哪"): words the filler list would
        otherwise take for "names nothing" (帮, 办), so the centre's address would answer."""
        catalogue = self.state.catalogue
        if self._window_names[0] != catalogue.digest:  # once per catalogue (a hot swap brings a new digest)
            suffixes = wording.text("chat", "reading.window_suffixes").split()  # 综合窗口 before 窗口
            cores = (
                functools.reduce(lambda rest, suffix: rest.replace(suffix, ""), suffixes, text.normalize(name))
                for window in catalogue.windows.values()
                for name in (window.name, *window.aliases)
            )
            self._window_names = (catalogue.digest, tuple(c for c in cores if len(c) >= 2))
        return any(core in norm for core in self._window_names[1])

    def _entry(
        self, entry_id: str, wanted: Asked | None, faq: int | None, confidence: float | None, said: str = ""
    ) -> Answer:
        kind = self.state.catalogue.kind_of(entry_id) or "item"
        messages = self._composer().entry(entry_id, wanted, faq, said)
        return Answer(
            decision="answer",
            messages=messages,
            route=Route(kind=ROUTE_OF_KIND[kind], id=entry_id),  # type: ignore[arg-type]
            asked="faq" if faq is not None else (wanted or "overview"),
            confidence=confidence,
        )

    def _abstain(self, confidence: float | None) -> Answer:
        return Answer(
            decision="abstain",
            messages=[ChatMessage(text=self.messages.text("answer", "not_sure"))],
            confidence=confidence,
        )
