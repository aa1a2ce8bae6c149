// Console: search as the agent types, copy buttons, SLA countdown. No framework; text goes in via textContent only.
"use strict";
(function () {
  const $ = (sel, root) => (root || document).querySelector(sel);

  function fill(list, items, render) {
    list.replaceChildren();
    for (const it of items) {
      const li = document.createElement("li");
      render(li, it);
      list.appendChild(li);
    }
  }

  function copy(text, button) {
    const done = () => { const old = button.textContent; button.textContent = "已复制"; setTimeout(() => { button.textContent = old; }, 1200); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, done);
    } else {
      const ta = document.createElement("textarea");
      ta.value = text; document.body.appendChild(ta); ta.select();
      try { document.execCommand("copy"); } catch (e) { /* the text stays selectable */ }
      ta.remove(); done();
    }
  }

  const KIND = { item: "事项", bundle: "一件事", window: "窗口" };

  function renderCard(tpl, r) {
    const node = document.importNode(tpl.content.firstElementChild, true);  // owned by this document, so the QR image loads
    node.dataset.id = r.id;
    $(".name", node).textContent = r.name;
    $(".kind", node).textContent = KIND[r.kind] || r.kind;
    $(".summary", node).textContent = r.summary;
    $(".script", node).textContent = r.script;
    $(".copy", node).addEventListener("click", (e) => copy(r.script, e.currentTarget));
    fill($(".materials", node), r.materials, (li, m) => {
      const b = document.createElement("b"); b.textContent = m.name;
      li.appendChild(b);
      li.appendChild(document.createTextNode(`（${m.form}${m.count > 1 ? m.count + "份" : ""}）${m.note ? "：" + m.note : ""}`));
      if (m.optional_when) { const s = document.createElement("small"); s.textContent = ` 仅当${m.optional_when}`; li.appendChild(s); }
    });
    const w = r.window;
    $(".window", node).textContent = w ? `${w.name}，${w.floor} ${w.counters}；${w.hours}` : "—";
    fill($(".members", node), r.members, (li, m) => { li.textContent = m.name; });
    $(".members-h", node).hidden = r.members.length === 0;
    fill($(".bundles", node), r.bundles, (li, b) => { li.textContent = b.name; });
    $(".bundles-h", node).hidden = r.bundles.length === 0;
    $(".qr", node).src = r.qr;
    const link = $(".link", node); link.href = r.url; link.textContent = r.url;
    $(".copy-link", node).addEventListener("click", (e) => copy(r.url, e.currentTarget));
    $(".file-case", node).href = "/console/cases/new?item_id=" + encodeURIComponent(r.id);
    return node;
  }

  function setupSearch() {
    const input = $("#q");
    if (!input) return;
    const out = $("#results"), status = $("#status"), tpl = $("#card-tpl");
    let timer = null, seq = 0;
    async function run() {
      const q = input.value.trim();
      const mine = ++seq;
      if (!q) { out.replaceChildren(); status.textContent = ""; const a = $("#answer"); if (a) a.hidden = true; return; }
      status.textContent = "查询中…";
      try {
        const resp = await fetch("/console/api/search?k=5&q=" + encodeURIComponent(q), {
          headers: { Accept: "application/json" }, credentials: "same-origin",
        });
        if (mine !== seq) return;
        if (resp.status === 401) { window.location.href = "/console/login"; return; }
        if (!resp.ok) { status.textContent = "查询失败（" + resp.status + "），请稍后再试"; return; }
        const data = await resp.json();
        if (mine !== seq) return;
        const answer = $("#answer");
        if (answer) {  // the first reply a citizen would read: the asked fact, or the centre's hours, address…
          answer.textContent = data.answer ? data.answer.text : "";
          answer.hidden = !data.answer;
        }
        out.replaceChildren(...data.results.map((r) => renderCard(tpl, r)));
        status.textContent = `${data.results.length} 条结果，${data.took_ms} 毫秒` + (data.confident ? "" : "（没有把握，请核对）");
        out.setAttribute("aria-busy", "false");
      } catch (e) {
        if (mine === seq) status.textContent = "网络出错，请重试";
      }
    }
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(run, 120); });
    if (input.value) run();
  }

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
          li.className = "from-" + m.author;
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

  document.addEventListener("DOMContentLoaded", () => { setupSearch(); setupCountdown(); setupThread(); });
})();
