// Curation pages: the answer's Zalo preview while typing, and the publish page's progress.
// The preview is built from the same pieces as KnowledgeBase.render_answer on the server:
// the answer with {placeholders} filled from the unit profile, the short "Căn cứ: …" line, the line
// offering the full legal basis (FULL_BASIS_INVITE in bot/faq/knowledge_base.py), the closing line.
"use strict";

(function () {
  const POLL_MS = 2000;
  const BASIS_LABEL = "Căn cứ: ";
  const FULL_BASIS_INVITE = 'Nhắn "xem căn cứ" để xem đầy đủ văn bản.';

  // ---- preview
  function tidyAnswer(text) {
    // As the server stores it: LF line ends, no trailing spaces on a line, trimmed.
    return text.replace(/\r\n?/g, "\n").split("\n").map((line) => line.replace(/\s+$/, "")).join("\n").trim();
  }

  function lines(text) {
    const seen = [];
    for (const raw of text.split(/\r\n?|\n/)) {
      const item = raw.split(/\s+/).filter(Boolean).join(" ");
      if (item && !seen.includes(item)) seen.push(item);
    }
    return seen;
  }

  function fill(template, unit, unknown) {
    // str.format_map: "{{" and "}}" are literal braces, {name} a value of the unit profile.
    return template.replace(/\{\{|\}\}|\{([^{}]*)\}/g, (token, name) => {
      if (token === "{{" || token === "}}") return token[0];
      if (Object.prototype.hasOwnProperty.call(unit, name)) return String(unit[name]);
      if (!unknown.includes(name)) unknown.push(name);
      return token;
    });
  }

  function formatNumber(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  }

  function livePreview(form) {
    const bubble = document.querySelector("[data-preview]");
    if (!bubble) return;
    const unit = JSON.parse(bubble.dataset.unit || "{}");
    const answer = form.querySelector("[data-preview-answer]");
    const legal = form.querySelector("[data-preview-legal]");
    const department = form.querySelector("[data-preview-department]");
    const counter = document.querySelector("[data-preview-counter]");
    const over = document.querySelector("[data-preview-over]");
    const unknownBox = document.querySelector("[data-preview-unknown]");
    const unknownList = document.querySelector("[data-preview-unknown-list]");
    const limit = Number(counter.dataset.limit) || 2000;
    const citation = form.querySelector("[data-preview-citation]");
    // Without a citation field, the "Căn cứ" line the server rendered (the FAQ's short citation, or
    // one derived from the full titles) stands until the next save.
    const serverBasis = (bubble.textContent.split("\n").find((line) => line.startsWith(BASIS_LABEL)) || "");

    function basisLine() {
      const written = citation ? citation.value.split(/\s+/).filter(Boolean).join(" ").replace(/\.+$/, "") : "";
      if (written) return BASIS_LABEL + written + ".";
      return serverBasis || BASIS_LABEL + lines(legal.value).join("; ") + ".";
    }

    function update() {
      const unknown = [];
      const body = fill(tidyAnswer(answer.value), unit, unknown).trim();
      const basis = basisLine();
      const option = department.selectedOptions[0];
      const departmentName = option && option.value ? option.textContent.trim() : department.value;
      const hotline = Object.prototype.hasOwnProperty.call(unit, "hotline") ? unit.hotline : "{hotline}";
      const closing = `Trường hợp của anh/chị có điểm khác, xin nhắn "gặp cán bộ" để ${departmentName} ` +
        `hỗ trợ trong giờ làm việc, hoặc gọi ${hotline}.`;
      const text = `${body}\n\n${basis}\n${FULL_BASIS_INVITE}\n\n${closing}`;
      bubble.textContent = text;
      const n = [...text].length; // code points, as Python counts them
      counter.textContent = `${formatNumber(n)}/${formatNumber(limit)} ký tự`;
      counter.classList.toggle("over", n > limit);
      counter.classList.toggle("near", n > limit * 0.9 && n <= limit);
      if (over) over.hidden = n <= limit;
      if (unknownBox) {
        unknownBox.hidden = unknown.length === 0;
        unknownList.textContent = unknown.map((name) => `{${name}}`).join(", ");
      }
    }

    for (const field of [answer, legal, department, citation].filter(Boolean)) {
      field.addEventListener("input", update);
      field.addEventListener("change", update);
    }
    update();
  }

  // Leaving the edit page with unsaved changes asks first; the action bar says there are some.
  function guardUnsaved(form) {
    const initial = new URLSearchParams(new FormData(form)).toString();
    const marker = form.querySelector("[data-unsaved]");
    let sending = false;
    if (marker) {
      const mark = () => { marker.hidden = new URLSearchParams(new FormData(form)).toString() === initial; };
      form.addEventListener("input", mark);
      form.addEventListener("change", mark);
    }
    form.addEventListener("submit", () => { sending = true; });
    window.addEventListener("beforeunload", (event) => {
      if (sending) return;
      if (new URLSearchParams(new FormData(form)).toString() !== initial) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    window.addEventListener("pageshow", () => { sending = false; });
  }

  // ---- publishing: the releases in progress, every 2 seconds
  function pollRelease(row) {
    const status = row.querySelector("[data-release-status]");
    const progress = row.querySelector("[data-release-progress]");
    let current = row.dataset.statusNow;

    async function tick() {
      let data;
      try {
        const response = await fetch(row.dataset.poll, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" });
        if (response.redirected || response.status === 401) {
          progress.textContent = "Phiên đăng nhập đã hết hạn: hãy tải lại trang và đăng nhập.";
          return;
        }
        if (!response.ok) throw new Error("HTTP " + response.status);
        data = await response.json();
      } catch (err) {
        setTimeout(tick, POLL_MS * 2);
        return;
      }
      progress.textContent = data.progress;
      status.textContent = data.status_name;
      if (data.status !== current) {
        status.className = `rel rel-${data.status}`;
        row.className = `release release-${data.status}`;
        current = data.status;
      }
      if (data.busy) {
        setTimeout(tick, POLL_MS);
      } else {
        // Finished: the page shows the gate's comparison and the rollback buttons.
        setTimeout(() => location.reload(), 800);
      }
    }
    setTimeout(tick, POLL_MS);
  }

  // A link to a folded part (#cach-hoi, #loai-tru from the conflicts page) opens it.
  function openTarget() {
    const id = decodeURIComponent(location.hash.slice(1));
    let node = id && document.getElementById(id);
    const target = node;
    while (node) {
      if (node.tagName === "DETAILS") node.open = true;
      node = node.parentElement;
    }
    const found = document.getElementById("cach-hoi-tim-thay");
    (found || target || { scrollIntoView() {} }).scrollIntoView({ block: "center" });
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (location.hash) openTarget();
    window.addEventListener("hashchange", openTarget);
    const form = document.querySelector("[data-preview-form]");
    if (form) {
      livePreview(form);
      guardUnsaved(form);
    }
    for (const row of document.querySelectorAll("tr[data-poll]")) pollRelease(row);
  });
})();
