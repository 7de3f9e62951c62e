// The officers' inbox: live queue and conversation (polling), reply box helpers. No framework.
// Everything inserted into the page is HTML rendered (and escaped) by the server.
"use strict";

(function () {
  const QUEUE_EVERY_MS = 4000;
  const EVENTS_EVERY_MS = 1500;
  const FULL_REFRESH_MS = 60000; // due-time flags change with the clock, not only with the data
  const baseTitle = document.title;
  let submitting = false;

  // ---- polling with a steady rhythm; stops when the callback says so (session ended, no access)
  const STOP = Symbol("stop");
  function poll(task, every) {
    async function run() {
      let result;
      try {
        result = await task();
        setLive(true);
      } catch (err) {
        setLive(false);
      }
      if (result !== STOP) setTimeout(run, every);
    }
    setTimeout(run, every);
  }

  async function getJson(url) {
    const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" });
    if (response.status === 401) return { stop: "session" };
    if (response.status === 403 || response.status === 404) return { stop: "access", data: await response.json().catch(() => ({})) };
    if (!response.ok) throw new Error("HTTP " + response.status);
    return { data: await response.json() };
  }

  function setLive(ok) {
    for (const dot of document.querySelectorAll("[data-live]")) {
      dot.classList.toggle("stale", !ok);
      dot.textContent = ok ? "Tự cập nhật" : "Mất kết nối, đang thử lại…";
    }
  }

  function sessionEnded() {
    showBanner("Phiên đăng nhập đã hết hạn. ", "Đăng nhập lại", "/dang-nhap?next=" + encodeURIComponent(location.pathname + location.search));
  }

  function showBanner(text, linkText, href) {
    const banner = document.querySelector("[data-changed]") || document.querySelector("[data-new-banner]");
    if (!banner) return;
    banner.textContent = text;
    if (linkText) {
      const link = document.createElement("a");
      link.href = href;
      link.textContent = linkText;
      banner.append(link);
    }
    banner.hidden = false;
  }

  function markFresh(elements) {
    for (const el of elements) el.classList.add("fresh");
  }

  // ---- the queue: rows and counts replaced together when the queue's version changes
  function liveQueue(box) {
    const rows = box.querySelector("[data-queue-rows]");
    const summary = document.querySelector("[data-queue-summary]");
    const banner = box.querySelector("[data-new-banner]");
    const doneList = box.hasAttribute("data-done");
    let version = box.dataset.version;
    let lastFull = Date.now();
    let unseen = 0;

    poll(async () => {
      const url = new URL(box.dataset.url, location.href);
      const full = Date.now() - lastFull > FULL_REFRESH_MS;
      if (!full) url.searchParams.set("version", version);
      const { data, stop } = await getJson(url);
      if (stop) { if (stop === "session") sessionEnded(); return STOP; }
      if (full) lastFull = Date.now();
      if (!data.changed) return;
      const known = new Set([...rows.querySelectorAll("tr[data-id]")].map((tr) => tr.dataset.id));
      rows.innerHTML = data.html;
      if (summary && data.summary_html) summary.innerHTML = data.summary_html;
      version = data.version;
      const added = [...rows.querySelectorAll("tr[data-id]")].filter((tr) => !known.has(tr.dataset.id));
      markFresh(added);
      if (added.length && !doneList) {
        banner.textContent = added.length === 1 ? "Có 1 yêu cầu mới." : `Có ${added.length} yêu cầu mới.`;
        banner.hidden = false;
        if (document.hidden) {
          unseen += added.length;
          document.title = `(${unseen} mới) ${baseTitle}`;
        }
        // queue_alerts.js rings and shows a desktop notification, if the officer switched them on.
        const fresh = data.rows.filter((r) => added.some((tr) => tr.dataset.id === String(r.id)));
        document.dispatchEvent(new CustomEvent("queue:new", { detail: { rows: fresh } }));
      }
    }, QUEUE_EVERY_MS);

    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) { unseen = 0; document.title = baseTitle; }
    });
  }

  // ---- a ticket: new events appended; a change of holder, status or department announced
  function liveConversation(conv) {
    let after = Number(conv.dataset.after || 0);
    const state = JSON.parse(conv.dataset.state || "{}");
    const changed = document.querySelector("[data-changed]");
    const changedText = document.querySelector("[data-changed-text]");
    let unseen = 0;
    conv.scrollTop = conv.scrollHeight;

    poll(async () => {
      const url = new URL(conv.dataset.url, location.href);
      url.searchParams.set("after", String(after));
      const { data, stop } = await getJson(url);
      if (stop === "session") { sessionEnded(); return STOP; }
      if (stop) {
        showBanner("Bạn không còn xem được yêu cầu này (có thể đã được chuyển sang bộ phận khác). ", "Về hộp thư", "/inbox/");
        return STOP;
      }
      if (data.html) {
        const nearBottom = conv.scrollHeight - conv.scrollTop - conv.clientHeight < 120;
        const template = document.createElement("template");
        template.innerHTML = data.html;
        const added = [...template.content.children];
        conv.append(template.content);
        markFresh(added);
        if (nearBottom) conv.scrollTop = conv.scrollHeight;
        if (document.hidden) {
          unseen += added.length;
          document.title = `(${unseen} mới) ${baseTitle}`;
        }
      }
      after = data.last_id;
      const now = data.ticket;
      const notes = [];
      if (now.holder_id !== state.holder_id) notes.push(now.holder_name ? `${now.holder_name} đã nhận xử lý.` : "Yêu cầu chưa có người xử lý.");
      if (now.department !== state.department) notes.push("Yêu cầu đã được chuyển bộ phận.");
      if (now.status !== state.status) notes.push(`Trạng thái mới: ${now.status_name}.`);
      if (now.window !== state.window) notes.push("Thời hạn trả lời qua Zalo đã thay đổi.");
      if (notes.length && changed) {
        changedText.textContent = "Yêu cầu vừa thay đổi: " + notes.join(" ");
        changed.hidden = false;
      }
    }, EVENTS_EVERY_MS);

    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) { unseen = 0; document.title = baseTitle; }
    });
  }

  // ---- reply box: counter, canned replies, a warning before losing a draft
  function counters() {
    for (const area of document.querySelectorAll("textarea[data-counter]")) {
      const out = document.getElementById(area.dataset.counter);
      const max = Number(area.getAttribute("maxlength")) || 2000;
      const update = () => {
        const n = [...area.value].length; // code points, as the server counts them
        out.textContent = `${n}/${max} ký tự`;
        out.classList.toggle("near", n > max * 0.9 && n <= max);
        out.classList.toggle("over", n > max);
      };
      area.addEventListener("input", update);
      update();
      area.dataset.initial = area.value;
    }
  }

  document.addEventListener("click", (event) => {
    const canned = event.target.closest("[data-canned]");
    if (canned) {
      const area = canned.closest("form").querySelector("textarea");
      const current = area.value.replace(/\s+$/, "");
      area.value = current ? `${current}\n\n${canned.dataset.canned}` : canned.dataset.canned;
      area.dispatchEvent(new Event("input"));
      area.focus();
      area.setSelectionRange(area.value.length, area.value.length);
      return;
    }
    const row = event.target.closest("tr[data-href]");
    if (row && !event.target.closest("a, button, input, select, textarea") && !String(window.getSelection())) {
      if (event.ctrlKey || event.metaKey) window.open(row.dataset.href, "_blank");
      else location.href = row.dataset.href;
    }
  });

  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    if (form.hasAttribute("data-once")) {
      if (form.dataset.sending) { event.preventDefault(); return; } // a double click sends once
      form.dataset.sending = "1";
      for (const button of form.querySelectorAll("button")) button.setAttribute("aria-busy", "true");
    }
    submitting = true;
  });

  // Back/forward cache: a page restored after a submit must be usable again.
  window.addEventListener("pageshow", () => {
    submitting = false;
    for (const form of document.querySelectorAll("form[data-sending]")) {
      delete form.dataset.sending;
      for (const button of form.querySelectorAll("button")) button.removeAttribute("aria-busy");
    }
  });

  window.addEventListener("beforeunload", (event) => {
    if (submitting) return;
    const draft = document.querySelector("form[data-keep-draft] textarea");
    if (draft && !draft.disabled && draft.value.trim() && draft.value !== draft.dataset.initial) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    counters();
    const queue = document.querySelector("[data-poll-queue]");
    if (queue) liveQueue(queue);
    const conv = document.querySelector("[data-events]");
    if (conv) liveConversation(conv);
  });
})();
