// Console: SLA countdown and the live handoff thread (search is search.js, the handoff queue handoffs.js). No
// framework; text goes in via textContent only.
"use strict";
(function () {
  const $ = (sel, root) => (root || document).querySelector(sel);

  function setupCountdown() {
    const tick = () => {
      const now = Date.now();
      document.querySelectorAll(".sla[data-deadline]").forEach((el) => {
        // a deadline is the end of that day, Beijing time
        const end = Date.parse(el.dataset.deadline + "T23:59:59+08:00");
        const ms = end - now, abs = Math.abs(ms);
        const d = Math.floor(abs / 86400000), h = Math.floor((abs % 86400000) / 3600000), m = Math.floor((abs % 3600000) / 60000);
        el.textContent = (ms >= 0 ? "剩 " : "超期 ") + (d ? d + " 天 " : "") + h + " 小时 " + (d ? "" : m + " 分");
        el.classList.toggle("late", ms < 0);
        el.classList.toggle("soon", ms >= 0 && ms < 86400000);
      });
    };
    tick();
    setInterval(tick, 30000);
  }

  // an open handoff: citizens keep writing while the agent reads, so new lines arrive without a reload
  function setupThread() {
    const list = $("#transcript[data-handoff]");
    if (!list) return;
    const url = `/console/handoffs/${encodeURIComponent(list.dataset.handoff)}/messages`;
    const title = document.title;
    let busy = false;
    const poll = async () => {
      if (busy || document.hidden) return;
      busy = true;
      try {
        const resp = await fetch(`${url}?after=${encodeURIComponent(list.dataset.after || "0")}`, { credentials: "same-origin" });
        if (!resp.ok) return;
        const data = await resp.json();
        for (const m of data.messages) {
          if (list.querySelector(`li[data-id="${m.id}"]`)) continue;
          const li = document.createElement("li");
          li.className = "from-" + m.author + (m.button ? " button-press" : "");
          li.dataset.id = m.id;
          const who = document.createElement("span"); who.className = "who"; who.textContent = m.who + (m.agent ? " " + m.agent : "");
          const at = document.createElement("time"); at.textContent = m.at;
          const p = document.createElement("p"); p.className = "pre"; p.textContent = m.text;
          li.append(who, " ", at, p);
          list.appendChild(li);
          list.dataset.after = String(m.id);
          if (m.author === "user") document.title = "（新消息）" + title;
        }
        // how each line sent to the citizen is doing: 发送中 → 已发送, or 发送失败 with the error
        for (const [id, d] of Object.entries(data.deliveries || {})) {
          const li = list.querySelector(`li[data-id="${CSS.escape(id)}"]`);
          if (!li || !d) continue;
          let line = li.querySelector(".delivery");
          if (!line) { line = document.createElement("p"); line.className = "delivery"; li.appendChild(line); }
          line.dataset.state = d.state;
          line.textContent = d.label;
        }
      } catch (e) {
        /* the next poll tries again */
      } finally {
        busy = false;
      }
    };
    document.addEventListener("visibilitychange", () => { if (!document.hidden) { document.title = title; poll(); } });
    window.addEventListener("focus", () => { document.title = title; });
    setInterval(poll, 3000);
  }

  document.addEventListener("DOMContentLoaded", () => { setupCountdown(); setupThread(); });
})();
