// The simulator's chat page: polls the JSON API every second and renders with textContent only.
"use strict";

const API = document.body.dataset.api;
const POLL_MS = 1000;

const ui = {
  citizenList: document.getElementById("citizen-list"),
  newCitizenForm: document.getElementById("new-citizen-form"),
  newCitizenName: document.getElementById("new-citizen-name"),
  citizenName: document.getElementById("citizen-name"),
  followButton: document.getElementById("follow-button"),
  messages: document.getElementById("messages"),
  composer: document.getElementById("composer"),
  messageInput: document.getElementById("message-input"),
  sendButton: document.getElementById("send-button"),
  stickerButton: document.getElementById("sticker-button"),
  imageButton: document.getElementById("image-button"),
  stickerPicker: document.getElementById("sticker-picker"),
  officerMessages: document.getElementById("officer-messages"),
  officerComposer: document.getElementById("officer-composer"),
  officerInput: document.getElementById("officer-input"),
  officerSendButton: document.getElementById("officer-send-button"),
  webhookStatus: document.getElementById("webhook-status"),
  pageStatus: document.getElementById("page-status"),
};

const state = { citizens: [], citizensKey: "", userId: null, renderedKey: "" };

if (window.matchMedia("(max-width: 600px)").matches) ui.messageInput.placeholder = "Nhập tin nhắn";

async function api(path, options = {}) {
  const response = await fetch(API + path, {
    headers: { "Content-Type": "application/json" },
    ...options,
  });
  if (!response.ok) {
    throw new Error(`${response.status} ${await response.text()}`);
  }
  return response.json();
}

function post(path, body = {}) {
  return api(path, { method: "POST", body: JSON.stringify(body) });
}

function showError(text) {
  ui.pageStatus.textContent = text;
  ui.pageStatus.hidden = false;
  clearTimeout(showError.timer);
  showError.timer = setTimeout(() => { ui.pageStatus.hidden = true; }, 4000);
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function clockTime(ms) {
  return new Date(ms).toLocaleTimeString("vi-VN", { hour: "2-digit", minute: "2-digit" });
}

function selectedCitizen() {
  return state.citizens.find((c) => c.user_id === state.userId) || null;
}

// Citizens

function renderCitizens() {
  ui.citizenList.replaceChildren(...state.citizens.map((citizen) => {
    const item = element("li");
    const button = element("button", "citizen-item");
    button.type = "button";
    button.dataset.testid = "citizen-item";
    button.dataset.userId = citizen.user_id;
    if (citizen.user_id === state.userId) button.classList.add("selected");
    const avatar = element("img");
    avatar.src = `${API.replace(/api$/, "")}media/avatar/${citizen.user_id}.svg`;
    avatar.alt = "";
    const text = element("div");
    text.append(
      element("div", "name", citizen.display_name),
      element("div", "status", citizen.is_follower ? "Đang quan tâm OA" : "Chưa quan tâm OA"),
    );
    button.append(avatar, text);
    button.addEventListener("click", () => selectCitizen(citizen.user_id));
    item.append(button);
    return item;
  }));
}

function renderHeader() {
  const citizen = selectedCitizen();
  const enabled = Boolean(citizen);
  for (const control of [ui.followButton, ui.messageInput, ui.sendButton, ui.stickerButton,
    ui.imageButton, ui.officerInput, ui.officerSendButton]) {
    control.disabled = !enabled;
  }
  if (!citizen) {
    ui.citizenName.textContent = "Chưa chọn công dân";
    return;
  }
  ui.citizenName.textContent = `Bạn đang là: ${citizen.display_name}`;
  ui.followButton.dataset.following = String(citizen.is_follower);
  ui.followButton.textContent = citizen.is_follower ? "Đã quan tâm" : "Quan tâm";
  ui.followButton.title = citizen.is_follower ? "Bấm để bỏ quan tâm" : "Quan tâm OA";
}

async function loadCitizens() {
  const { citizens } = await api("/citizens");
  state.citizens = citizens;
  // Re-render only on change, so that a click never lands on a node being replaced.
  const key = JSON.stringify(citizens.map((c) => [c.user_id, c.display_name, c.is_follower]));
  if (key !== state.citizensKey) {
    state.citizensKey = key;
    renderCitizens();
  }
  renderHeader();
}

function selectCitizen(userId) {
  state.userId = userId;
  state.renderedKey = "";
  state.citizensKey = "";
  ui.stickerPicker.hidden = true;
  renderCitizens();
  renderHeader();
  refreshConversation().catch((error) => showError(`Không tải được hội thoại: ${error.message}`));
  ui.messageInput.focus();
}

// Conversation

function attachmentNode(attachment) {
  const payload = attachment.payload || {};
  if (attachment.type === "sticker" || attachment.type === "image") {
    const image = element("img", attachment.type === "sticker" ? "sticker" : "photo");
    image.src = payload.url;
    image.alt = attachment.type === "sticker" ? "Sticker" : "Ảnh";
    return image;
  }
  if (attachment.type === "file") return element("span", "", `📎 ${payload.name}`);
  if (attachment.type === "location") {
    const { latitude, longitude } = payload.coordinates || {};
    return element("span", "", `📍 Vị trí: ${latitude}, ${longitude}`);
  }
  return element("span", "", `[${attachment.type}]`);
}

// Buttons of a CS message's template (Zalo's buttons appendix): on the citizen's phone an
// oa.query.* button sends its payload back as the citizen's text; the officer only sees them.
function buttonsNode(message, officerView) {
  const template = message.attachments.find((a) => a.type === "template");
  const buttons = (template && template.payload && template.payload.buttons) || [];
  if (!buttons.length) return null;
  const row = element("div", "oa-buttons");
  row.dataset.testid = "oa-buttons";
  buttons.forEach((button, index) => {
    const node = element("button", "oa-button", button.title);
    node.type = "button";
    node.dataset.testid = "oa-button";
    node.dataset.type = button.type;
    if (officerView) node.disabled = true;
    else if (button.type === "oa.query.show" || button.type === "oa.query.hide") {
      node.addEventListener("click", () => tapButton(message.msg_id, index));
    } else if (button.type === "oa.open.url") {
      node.addEventListener("click", () => window.open(button.payload.url, "_blank", "noopener"));
    } else {
      node.title = "Zalo mở ứng dụng gọi điện/SMS; trình mô phỏng không làm việc này";
      node.disabled = true;
    }
    row.append(node);
  });
  return row;
}

function messageNode(message, officerView) {
  const fromCitizen = message.direction === "citizen_to_oa";
  const mine = officerView ? !fromCitizen : fromCitizen;
  const node = element("div", `message ${mine ? "mine" : "theirs"}`);
  if (message.from_admin) node.classList.add("admin");
  node.dataset.testid = officerView ? "officer-message" : "message";
  node.dataset.direction = fromCitizen ? "citizen" : "oa";
  node.dataset.fromAdmin = String(message.from_admin);
  node.dataset.msgId = message.msg_id;

  const bubble = element("div", "bubble");
  bubble.dataset.testid = "message-text";
  const shown = message.attachments.filter((a) => a.type !== "template");
  for (const attachment of shown) bubble.append(attachmentNode(attachment));
  if (message.text) bubble.append(document.createTextNode(message.text));
  else if (shown.length && shown.every((a) => a.type === "sticker")) {
    bubble.classList.add("sticker-only");
  }

  let who = "";
  if (!fromCitizen) who = message.from_admin ? "Cán bộ · " : (officerView ? "Bot (API) · " : "");
  if (!message.shown_to_citizen) who += "nút ẩn, công dân không thấy · ";
  node.append(bubble);
  const buttons = buttonsNode(message, officerView);
  if (buttons) node.append(buttons);
  node.append(element("div", "meta", who + clockTime(message.timestamp_ms)));
  return node;
}

function renderConversation(messages) {
  // The text an oa.query.hide button sent reaches the OA but is hidden in the citizen's chat.
  const citizenView = messages.filter((m) => m.shown_to_citizen !== false).map((m) => messageNode(m, false));
  const officerView = messages.map((m) => messageNode(m, true));
  if (!messages.length) {
    citizenView.push(element("p", "empty", "Chưa có tin nhắn. Hãy gửi lời chào tới OA."));
    officerView.push(element("p", "empty", "Công dân chưa nhắn gì."));
  }
  ui.messages.replaceChildren(...citizenView);
  ui.officerMessages.replaceChildren(...officerView);
  ui.messages.scrollTop = ui.messages.scrollHeight;
  ui.officerMessages.scrollTop = ui.officerMessages.scrollHeight;
}

async function refreshConversation() {
  if (!state.userId) return;
  const userId = state.userId;
  const { citizen, messages } = await api(`/citizens/${userId}/conversation`);
  if (userId !== state.userId) return;
  const index = state.citizens.findIndex((c) => c.user_id === userId);
  if (index >= 0) state.citizens[index] = citizen;
  const last = messages[messages.length - 1];
  const key = `${userId}:${messages.length}:${last ? last.msg_id : ""}`;
  if (key !== state.renderedKey) {
    state.renderedKey = key;
    renderConversation(messages);
  }
  renderHeader();
}

// Webhook status line

async function refreshWebhook() {
  const { url, disabled, deliveries } = await api("/webhook?last=1");
  const last = deliveries[deliveries.length - 1];
  let status = url;
  if (disabled) status += " · đã bị tắt (không gửi được)";
  else if (last) {
    const attempt = last.attempts[last.attempts.length - 1];
    if (!attempt) status += ` · đang gửi ${last.event_name}…`;
    else if (attempt.status_code) status += ` · ${last.event_name}: HTTP ${attempt.status_code} (${Math.round(attempt.latency_ms)} ms)`;
    else status += ` · ${last.event_name}: không kết nối được, sẽ gửi lại`;
  }
  ui.webhookStatus.textContent = status;
}

// Actions

async function sendText() {
  const text = ui.messageInput.value;
  if (!state.userId || !text.trim()) return;
  ui.messageInput.value = "";
  try {
    await post(`/citizens/${state.userId}/messages`, { text });
    await refreshConversation();
  } catch (error) {
    ui.messageInput.value = text;
    showError(`Không gửi được tin nhắn: ${error.message}`);
  }
}

async function sendOfficerText() {
  const text = ui.officerInput.value;
  if (!state.userId || !text.trim()) return;
  ui.officerInput.value = "";
  try {
    await post(`/citizens/${state.userId}/officer-messages`, { text });
    await refreshConversation();
  } catch (error) {
    ui.officerInput.value = text;
    showError(`Cán bộ chưa gửi được tin: ${error.message}`);
  }
}

async function tapButton(msgId, index) {
  try {
    await post(`/citizens/${state.userId}/button-taps`, { msg_id: msgId, index });
    await refreshConversation();
  } catch (error) {
    showError(`Không gửi được: ${error.message}`);
  }
}

async function sendAttachment(body) {
  try {
    await post(`/citizens/${state.userId}/attachments`, body);
    await refreshConversation();
  } catch (error) {
    showError(`Không gửi được: ${error.message}`);
  }
}

function sendOnEnter(textarea, send) {
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      send();
    }
  });
}

ui.newCitizenForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const citizen = await post("/citizens", { display_name: ui.newCitizenName.value });
    ui.newCitizenName.value = "";
    await loadCitizens();
    selectCitizen(citizen.user_id);
  } catch (error) {
    showError(`Không thêm được công dân: ${error.message}`);
  }
});

ui.followButton.addEventListener("click", async () => {
  const citizen = selectedCitizen();
  if (!citizen) return;
  try {
    await post(`/citizens/${citizen.user_id}/${citizen.is_follower ? "unfollow" : "follow"}`);
    await loadCitizens();
  } catch (error) {
    showError(`Không đổi được trạng thái quan tâm: ${error.message}`);
  }
});

ui.composer.addEventListener("submit", (event) => { event.preventDefault(); sendText(); });
ui.officerComposer.addEventListener("submit", (event) => { event.preventDefault(); sendOfficerText(); });
sendOnEnter(ui.messageInput, sendText);
sendOnEnter(ui.officerInput, sendOfficerText);

ui.stickerButton.addEventListener("click", () => { ui.stickerPicker.hidden = !ui.stickerPicker.hidden; });
ui.stickerPicker.addEventListener("click", (event) => {
  const option = event.target.closest("[data-sticker-id]");
  if (!option) return;
  ui.stickerPicker.hidden = true;
  sendAttachment({ type: "sticker", sticker_id: option.dataset.stickerId });
});
ui.imageButton.addEventListener("click", () => sendAttachment({ type: "image" }));

// Polling: one round at a time, so a slow server never piles up requests.

async function poll() {
  try {
    await loadCitizens();
    await refreshConversation();
    await refreshWebhook();
  } catch (error) {
    showError(`Mất kết nối với trình mô phỏng: ${error.message}`);
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

poll();
