// Console search: results as the agent types, one compact line each, the full card on click (details/summary).
// Below the abstention threshold the server sends no 话术 and "没找到准确的指南" comes first. Text goes in via
// textContent only; no framework.
"use strict";
(function () {
  const $ = (sel, root) => (root || document).querySelector(sel);
  const KIND = { item: "事项", bundle: "一件事", window: "窗口" };

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

  function renderCard(tpl, r) {
    const node = document.importNode(tpl.content.firstElementChild, true);  // owned by this document, so the QR image loads
    const details = $("details", node);
    details.dataset.id = r.id;
    details.dataset.sure = r.sure ? "yes" : "no";
    $(".name", node).textContent = r.name;
    $(".kind", node).textContent = KIND[r.kind] || r.kind;
    $(".unsure-badge", node).hidden = r.sure;
    $(".line", node).textContent = r.summary;
    $(".summary", node).textContent = r.summary;
    const box = $(".script-box", node);
    if (r.sure && r.script) {
      $(".script", node).textContent = r.script;
      $(".copy", node).addEventListener("click", (e) => copy(r.script, e.currentTarget));
    } else {
      box.remove();  // nothing to read out below the threshold
    }
    $(".unsure-note", node).hidden = r.sure;
    const line = (li, label, text) => {
      if (!text) return;
      const p = document.createElement("small"); p.className = "material-extra"; p.textContent = `${label}${text}`;
      li.appendChild(document.createElement("br")); li.appendChild(p);
    };
    fill($(".materials", node), r.materials, (li, m) => {
      const b = document.createElement("b"); b.textContent = m.of ? `${m.of}的${m.name}` : m.name;
      li.appendChild(b);
      li.appendChild(document.createTextNode(`（${m.form}${m.count > 1 ? m.count + "份" : ""}）${m.note ? "：" + m.note : ""}`));
      if (m.optional_when) { const s = document.createElement("small"); s.textContent = ` 仅当${m.optional_when}`; li.appendChild(s); }
      line(li, "从哪拿：", m.where_to_get);
      line(li, "填写示例：", m.example);
      line(li, "常见退件原因：", (m.common_rejections || []).join("；"));
    });
    const w = r.window;
    $(".window", node).textContent = w ? `${w.name}，${w.floor} ${w.counters}；${w.hours}` : "—";
    const visits = $(".visits", node);
    visits.textContent = r.visits == null ? "" : (r.visits === 0 ? "要跑几次：不用跑，全程网上办" : `要跑几次：${r.visits}次`);
    visits.hidden = r.visits == null;
    const phones = r.phones || {};
    $(".phones", node).textContent = phones.consult ? `咨询电话：${phones.consult}；监督电话：${phones.supervise}` : "";
    fill($(".rejections", node), r.rejections || [], (li, t) => { li.textContent = t; });
    $(".rejections-h", node).hidden = !(r.rejections || []).length;
    $(".remedy", node).textContent = r.remedy || "";
    fill($(".members", node), r.members, (li, m) => { li.textContent = m.name; });
    $(".members-h", node).hidden = r.members.length === 0;
    fill($(".bundles", node), r.bundles, (li, b) => { li.textContent = b.name; });
    $(".bundles-h", node).hidden = r.bundles.length === 0;
    const qr = $(".qr", node);
    details.addEventListener("toggle", () => { if (details.open && !qr.src) qr.src = r.qr; });  // only the cards opened
    const link = $(".link", node); link.href = r.url; link.textContent = r.url;
    $(".copy-link", node).addEventListener("click", (e) => copy(r.url, e.currentTarget));
    $(".file-case", node).href = "/console/cases/new?item_id=" + encodeURIComponent(r.id);
    return node;
  }

  // ↓ from the box to the first result, ↑↓ between results, ↑ from the first back to the box
  function setupKeys(input, out) {
    const summaries = () => Array.from(out.querySelectorAll("summary"));
    input.addEventListener("keydown", (e) => {
      if (e.key !== "ArrowDown") return;
      const first = summaries()[0];
      if (first) { e.preventDefault(); first.focus(); }
    });
    out.addEventListener("keydown", (e) => {
      if (e.target.tagName !== "SUMMARY" || (e.key !== "ArrowDown" && e.key !== "ArrowUp")) return;
      const all = summaries(), i = all.indexOf(e.target);
      e.preventDefault();
      const next = e.key === "ArrowDown" ? all[i + 1] : all[i - 1];
      (next || (e.key === "ArrowUp" ? input : e.target)).focus();
    });
  }

  function setup() {
    const input = $("#q");
    if (!input) return;
    const out = $("#results"), status = $("#status"), tpl = $("#card-tpl"), unsure = $("#unsure"), answer = $("#answer");
    let timer = null, seq = 0;
    async function run() {
      const q = input.value.trim();
      const mine = ++seq;
      if (!q) { out.replaceChildren(); status.textContent = ""; unsure.hidden = true; answer.hidden = true; return; }
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
        // the first reply a citizen would read: the asked fact, or the centre's hours, address…
        answer.textContent = data.answer ? data.answer.text : "";
        answer.hidden = !data.answer;
        const lost = !data.confident && !data.answer && data.results.length > 0;
        unsure.hidden = !lost && data.results.length > 0;
        out.replaceChildren(...data.results.map((r) => renderCard(tpl, r)));
        const head = lost || !data.results.length ? "没找到准确的指南。" : "";
        status.textContent = `${head}${data.results.length} 条${lost ? "可能相关的" : ""}结果，${data.took_ms} 毫秒`;
      } catch (e) {
        if (mine === seq) status.textContent = "网络出错，请重试";
      }
    }
    input.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(run, 120); });
    setupKeys(input, out);
    if (input.value) run();
  }

  document.addEventListener("DOMContentLoaded", setup);
})();
