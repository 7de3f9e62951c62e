// The queue's opt-in alert: a short chime and a desktop notification when a new request arrives.
// Off until the officer switches it on (remembered in this browser); once per request, even with
// several inbox tabs open or after the list refreshes. inbox.js announces new rows ("queue:new").
"use strict";

(function () {
  const SWITCH_KEY = "hopthu.bao-yeu-cau-moi";
  const NOTIFIED_KEY = "hopthu.yeu-cau-da-bao";
  const NOTIFIED_KEEP = 300;
  let audio = null;

  function enabled() {
    try { return localStorage.getItem(SWITCH_KEY) === "1"; } catch (err) { return false; }
  }

  function remember(on) {
    try { localStorage.setItem(SWITCH_KEY, on ? "1" : "0"); } catch (err) { /* private mode: this page only */ }
  }

  // Ids already announced, shared by every tab of this browser.
  function firstTime(ids) {
    let seen = [];
    try { seen = JSON.parse(localStorage.getItem(NOTIFIED_KEY) || "[]"); } catch (err) { seen = []; }
    const fresh = ids.filter((id) => !seen.includes(id));
    if (fresh.length) {
      try { localStorage.setItem(NOTIFIED_KEY, JSON.stringify(seen.concat(fresh).slice(-NOTIFIED_KEEP))); } catch (err) { /* ignore */ }
    }
    return fresh;
  }

  // Browsers start audio only after the person has clicked or typed on the page.
  function unlockAudio() {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    if (!audio) audio = new Context();
    if (audio.state === "suspended") audio.resume().catch(() => {});
  }

  function chime() {
    if (!audio || audio.state !== "running") return;
    const start = audio.currentTime;
    [880, 1320].forEach((pitch, i) => {
      const tone = audio.createOscillator();
      const volume = audio.createGain();
      tone.frequency.value = pitch;
      volume.gain.setValueAtTime(0.0001, start + i * 0.18);
      volume.gain.exponentialRampToValueAtTime(0.25, start + i * 0.18 + 0.02);
      volume.gain.exponentialRampToValueAtTime(0.0001, start + i * 0.18 + 0.16);
      tone.connect(volume).connect(audio.destination);
      tone.start(start + i * 0.18);
      tone.stop(start + i * 0.18 + 0.17);
    });
  }

  function notify(rows) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const first = rows[0];
    const who = first.citizen_name || "công dân chưa rõ tên";
    const title = rows.length === 1 ? `Yêu cầu mới #${first.id}` : `${rows.length} yêu cầu mới`;
    const body = rows.length === 1 ? `Của ${who} · ${first.department_name}` : rows.map((r) => `#${r.id}`).join(", ");
    const shown = new Notification(title, { body, tag: `yeu-cau-${first.id}` });
    shown.onclick = () => { window.focus(); location.href = first.url; shown.close(); };
  }

  function describe(note) {
    if (!enabled()) { note.textContent = ""; return; }
    if (!("Notification" in window)) {
      note.textContent = "Trình duyệt này không hiện thông báo trên màn hình: chỉ có tiếng chuông.";
    } else if (Notification.permission === "denied") {
      note.textContent = "Trình duyệt đang chặn thông báo của trang này: chỉ có tiếng chuông. Có thể cho phép lại trong cài đặt trang của trình duyệt.";
    } else if (Notification.permission === "default") {
      note.textContent = "Hãy bấm “Cho phép” khi trình duyệt hỏi để thấy thông báo trên màn hình.";
    } else {
      note.textContent = "Đã bật: có tiếng chuông và thông báo trên màn hình khi có yêu cầu mới.";
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    const panel = document.querySelector("[data-queue-alerts]");
    if (!panel) return;
    const toggle = panel.querySelector("[data-alerts-toggle]");
    const note = panel.querySelector("[data-alerts-note]");
    panel.hidden = false;
    toggle.checked = enabled();
    describe(note);

    toggle.addEventListener("change", async () => {
      remember(toggle.checked);
      if (toggle.checked) {
        unlockAudio();
        if ("Notification" in window && Notification.permission === "default") {
          try { await Notification.requestPermission(); } catch (err) { /* old callback-only API: ignored */ }
        }
        chime(); // the officer hears what a new request will sound like
      }
      describe(note);
    });
    // After a reload the switch is on but audio waits for the first click or key on the page.
    for (const kind of ["pointerdown", "keydown"]) {
      document.addEventListener(kind, () => { if (enabled()) unlockAudio(); }, { passive: true });
    }

    document.addEventListener("queue:new", (event) => {
      if (!enabled()) return;
      const rows = event.detail.rows;
      const fresh = firstTime(rows.map((r) => r.id));
      if (!fresh.length) return;
      chime();
      notify(rows.filter((r) => fresh.includes(r.id)));
    });
  });
})();
