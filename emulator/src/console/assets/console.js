// chime-local console: reads /_chime-local/console/api/*, listens to its server-sent events, and acts
// only through the service's operations (signed as any SDK client would be parsed: chime-local does
// not verify signatures unless started with --verify-signatures) and /_chime-local/ control endpoints.
// Message text is always set as text, never as HTML.
"use strict";

const API = "/_chime-local/console/api";
const PAGE = 50;
const $ = (id) => document.getElementById(id);

const state = {
  overview: { Instances: [] },
  channel: null,        // the chosen channel's overview entry
  members: [],
  before: null,         // null: the newest page, kept live; a position: an older page
  rows: new Map(),      // message id -> summary on the page shown
  next: null,
  total: 0,
  selected: null,       // message id whose detail is open
  editing: null,        // message id being edited
  source: null,
  pending: new Map(),   // live changes waiting for the next frame
  frame: 0,
};

// Figures the browser test reads: how many live updates were rendered, and the last seq seen.
window.consoleStats = { events: 0, rendered: 0, resyncs: 0, seq: 0, firstRowsAt: null };

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

async function getJson(path) {
  const response = await fetch(path, { headers: { accept: "application/json" } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.message || body.Message || `HTTP ${response.status}`);
  return body;
}

// A request to one of the service's operations, as an SDK sends it. chime-local reads the access key
// from the Authorization header (requests are unsigned unless it verifies signatures).
async function operation(method, path, bearer, body) {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+/, "");
  const day = stamp.slice(0, 8);
  const response = await fetch(path, {
    method,
    headers: {
      "content-type": "application/json",
      "x-amz-chime-bearer": bearer,
      "x-amz-date": stamp,
      authorization: `AWS4-HMAC-SHA256 Credential=chime-local-console/${day}/us-east-1/chime/aws4_request, SignedHeaders=host, Signature=${"0".repeat(64)}`,
    },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(`${response.status} ${answer.Code || ""} ${answer.Message || answer.message || ""}`.trim());
  return answer;
}

async function control(method, path, body) {
  const response = await fetch(`/_chime-local/${path}`, {
    method,
    // Control requests that change state carry this header: a page of another site cannot send it.
    headers: { "content-type": "application/json", "x-chime-local-control": "1" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let answer = {};
  try { answer = text ? JSON.parse(text) : {}; } catch { answer = { text }; }
  if (!response.ok) throw new Error(`${response.status} ${answer.Message || answer.message || text}`);
  return answer;
}

function say(id, text, bad = false) {
  const node = $(id);
  node.textContent = text;
  node.classList.toggle("bad", bad);
}

const time = (ms) => new Date(ms).toLocaleTimeString([], { hour12: false });
const shortArn = (arn) => (arn || "").split("/").pop();

// ---- the tree of instances and channels ----

async function loadOverview() {
  try {
    state.overview = await getJson(`${API}/overview`);
  } catch (error) {
    return;
  }
  renderTree();
  if (state.channel) {
    const fresh = findChannel(state.channel.Arn);
    if (fresh) { state.channel = fresh; renderChannelHead(); }
  }
}

function findChannel(arn) {
  for (const instance of state.overview.Instances)
    for (const channel of instance.Channels) if (channel.Arn === arn) return { ...channel, Instance: instance };
  return null;
}

function renderTree() {
  const tree = $("tree");
  const instances = state.overview.Instances;
  if (!instances.length) return;
  const focused = document.activeElement && document.activeElement.dataset.arn;
  tree.replaceChildren();
  for (const instance of instances) {
    tree.append(el("h2", { text: instance.Name, title: instance.Arn }));
    tree.append(el("span", { class: "meta", text: `${instance.UserCount} users · ${instance.Bots.length} bots · ${instance.Flows.length} flows` }));
    const list = el("ul");
    for (const channel of instance.Channels) {
      const current = state.channel && state.channel.Arn === channel.Arn;
      const subs = channel.Elastic ? ` · ${channel.Elastic.SubChannels.length} sub-channels` : "";
      const button = el("button", {
        type: "button", "data-arn": channel.Arn, "aria-current": current ? "true" : "false",
        onclick: () => chooseChannel(channel.Arn),
      }, el("span", { text: `# ${channel.Name}` }),
         el("span", { class: "meta", text: `${channel.Members} members · ${channel.Messages} messages${subs}${channel.Flow ? " · flow" : ""}` }));
      list.append(el("li", {}, button));
    }
    tree.append(list);
    if (instance.Flows.length) {
      tree.append(el("span", { class: "meta", text: "Flows: " + instance.Flows.map((f) => `${f.Name} (${f.Processors.join(" → ")})`).join("; ") }));
    }
  }
  if (focused) {
    const again = tree.querySelector(`[data-arn="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
}

// ---- a channel: head, members, messages ----

async function chooseChannel(arn) {
  state.channel = findChannel(arn);
  state.before = null;
  state.selected = null;
  state.editing = null;
  renderTree();
  renderChannelHead();
  $("detail").replaceChildren(el("p", { class: "muted", text: "Choose a message to see its journey through the flow." }));
  const members = getJson(`${API}/members?channel=${encodeURIComponent(arn)}`)
    .then((answer) => { state.members = answer.Members; })
    .catch(() => { state.members = []; })
    .then(renderSenders);
  await Promise.all([members, loadPage()]);
  listen();
}

function renderChannelHead() {
  const c = state.channel;
  if (!c) return;
  const subs = c.Elastic ? c.Elastic.SubChannels.map((s) => `${shortArn(s.SubChannelId)}: ${s.Members}`).join(", ") : null;
  $("channel-head").replaceChildren(el("div", {},
    el("h2", { text: `# ${c.Name}` }),
    el("span", { class: "muted", text: `${c.Mode} · ${c.Privacy} · ${c.Members} members · ${c.Messages} messages` }),
    c.Flow ? el("span", { class: "chip", text: `flow: ${c.Flow.Name || shortArn(c.Flow.Arn)}` }) : null,
    subs ? el("div", { class: "muted", text: `Sub-channels (members): ${subs}` }) : null));
}

function renderSenders() {
  const select = $("send-sender");
  select.replaceChildren(...state.members.map((m) => el("option", { value: m.Arn, "data-sub": m.SubChannelId || "", text: m.Name || shortArn(m.Arn) })));
  $("send-form").hidden = state.members.length === 0;
}

async function loadPage() {
  if (!state.channel) return;
  const before = state.before === null ? "" : `&before=${state.before}`;
  let page;
  try {
    page = await getJson(`${API}/messages?channel=${encodeURIComponent(state.channel.Arn)}&limit=${PAGE}${before}`);
  } catch (error) {
    $("page-info").textContent = error.message;
    return;
  }
  state.rows = new Map(page.Messages.map((m) => [m.MessageId, m]));
  state.next = page.Next;
  state.total = page.Total;
  renderRows();
  if (page.Messages.length && window.consoleStats.firstRowsAt === null) window.consoleStats.firstRowsAt = performance.now();
}

function renderRows() {
  const body = $("message-rows");
  const rows = [...state.rows.values()].sort((a, b) => b.Position - a.Position);
  body.replaceChildren(...rows.map(row));
  $("messages").hidden = false;
  $("older").hidden = state.next === null || state.next === undefined;
  $("newer").hidden = state.before === null;
  const live = state.before === null ? "newest, live" : "older page";
  $("page-info").textContent = `${rows.length} of ${state.total} (${live})`;
}

function row(m) {
  const verdict = m.Verdict || {};
  const chips = [];
  if (verdict.RuleId) chips.push(el("span", { class: "chip", text: verdict.RuleId }));
  for (const [kind, count] of Object.entries(verdict.Redacted || {})) chips.push(el("span", { class: "chip", text: `${kind} ×${count}` }));
  if (verdict.RefusedCallbacks) chips.push(el("span", { class: "chip", text: `${verdict.RefusedCallbacks} callback(s) refused` }));
  const text = m.Content === null || m.Content === undefined
    ? el("span", { class: "muted", text: m.Status === "DENIED" ? "(denied: its text is in its journey)" : m.Redacted ? "(redacted)" : "(deleted)" })
    : el("span", { text: m.Content });
  const tr = el("tr", {
    tabindex: "0", "data-id": m.MessageId, "data-status": m.Status,
    "aria-selected": state.selected === m.MessageId ? "true" : "false",
    onclick: () => openMessage(m.MessageId),
    onkeydown: (event) => rowKey(event, m.MessageId),
  },
  el("td", { class: "time", text: time(m.CreatedMillis) }),
  el("td", { text: m.Sender.Name || shortArn(m.Sender.Arn) }),
  el("td", {}, el("span", { class: `status ${m.Status}`, text: m.Status })),
  el("td", { class: "text" }, text, ...chips));
  return tr;
}

function rowKey(event, id) {
  if (event.key === "Enter" || event.key === " ") { event.preventDefault(); openMessage(id); return; }
  const sibling = event.key === "ArrowDown" ? event.currentTarget.nextElementSibling
    : event.key === "ArrowUp" ? event.currentTarget.previousElementSibling : null;
  if (sibling) { event.preventDefault(); sibling.focus(); }
}

// ---- one message and its journey ----

async function openMessage(id) {
  state.selected = id;
  for (const tr of $("message-rows").children) tr.setAttribute("aria-selected", tr.dataset.id === id ? "true" : "false");
  await renderDetail();
}

async function renderDetail() {
  if (!state.selected || !state.channel) return;
  let m;
  try {
    m = await getJson(`${API}/message?channel=${encodeURIComponent(state.channel.Arn)}&id=${encodeURIComponent(state.selected)}`);
  } catch (error) {
    $("detail").replaceChildren(el("p", { class: "answer bad", text: error.message }));
    return;
  }
  const detail = $("detail");
  const list = () => el("dl");
  const add = (dl, term, value) => { if (value !== null && value !== undefined && value !== "") dl.append(el("dt", { text: term }), el("dd", { text: String(value) })); };
  const head = list();
  add(head, "Status", m.Status + (m.Detail ? ` — ${m.Detail}` : ""));
  add(head, "From", `${m.Sender.Name} (${shortArn(m.Sender.Arn)})`);
  add(head, "Sent", new Date(m.CreatedMillis).toLocaleString());
  add(head, "Edited", m.EditedMillis ? new Date(m.EditedMillis).toLocaleString() : null);
  add(head, "Content", m.Content);
  const parts = [el("h2", { text: "Message" }), head];
  if (m.Status === "SENT" || m.Status === "PENDING") {
    parts.push(el("button", { type: "button", id: "edit-message", onclick: () => startEdit(m) }, "Edit this message"));
  }
  parts.push(journeyView(m));
  const more = list();
  add(more, "Metadata", m.Metadata);
  add(more, "Sub-channel", m.SubChannelId ? shortArn(m.SubChannelId) : null);
  add(more, "Type", `${m.Type}, ${m.Persistence}`);
  add(more, "Message id", m.MessageId);
  parts.push(el("h2", { text: "Details" }), more);
  if (m.MessageAttributes) parts.push(el("h3", { text: "Attributes" }), el("pre", { class: "attrs", text: JSON.stringify(m.MessageAttributes, null, 1) }));
  detail.replaceChildren(...parts);
}

function journeyView(m) {
  const j = m.Journey;
  const box = el("section", { "aria-label": "Journey" }, el("h2", { text: "Journey through the flow" }));
  if (!j) {
    box.append(el("p", { class: "muted", text: "No journey: this message did not go through a flow (or it is older than the journeys kept)." }));
    return box;
  }
  if (j.Processors.length) box.append(el("p", { class: "muted", text: `Processors: ${j.Processors.join(" → ")}` }));
  const original = el("div", { class: "original" },
    el("span", { class: "label", text: m.Status === "DENIED" ? "Original text (denied, not delivered)" : "Original text, as sent" }),
    el("span", { text: j.Text }));
  box.append(original);
  const t = m.Timings || {};
  const ms = (us) => (us === null || us === undefined ? "—" : `${(us / 1000).toFixed(2)} ms`);
  box.append(el("div", { class: "timings", "aria-label": "Timings after sending" },
    el("span", { text: `processor started ${ms(t.ProcessorStartedMicros)}` }),
    el("span", { text: `callback accepted ${ms(t.CallbackAcceptedMicros)}` }),
    el("span", { text: `settled ${ms(t.SettledMicros)}` })));
  const list = el("ol", { class: "journey" });
  const start = j.Steps.length ? j.Steps[0].AtMicros : 0;
  for (const step of j.Steps) {
    const [text, tone] = describe(step);
    list.append(el("li", { class: tone, "data-kind": step.Kind }, el("span", { class: "at", text: `+${((step.AtMicros - start) / 1000).toFixed(2)} ms` }), el("span", { text })));
  }
  box.append(list);
  return box;
}

function describe(s) {
  switch (s.Kind) {
    case "Entered": return [s.Staged ? "Staged (held for a processor you run)" : s.Edit ? "Edit sent into the flow" : "Sent into the flow", ""];
    case "Invoked": return [`Processor ${s.Processor} invoked${s.Delivery > 1 ? " again (duplicate delivery)" : ""} · CallbackId ${s.CallbackId.slice(0, 10)}…`, s.Delivery > 1 ? "warn" : ""];
    case "InvokeFailed": return [`Processor ${s.Processor} could not be invoked (${s.Reason}); FallbackAction ${s.Fallback}`, "bad"];
    case "Handled": {
      const redacted = Object.entries(s.Redacted || {}).map(([k, n]) => `${k} ×${n}`).join(", ");
      const parts = [`${s.Function} decided ${s.Decision || "nothing (repeat skipped)"}`];
      if (s.RuleId) parts.push(`rule ${s.RuleId}`);
      if (redacted) parts.push(`redacted ${redacted}`);
      parts.push(`callback ${s.Outcome} after ${s.Attempts} attempt(s)`);
      return [parts.join(" · "), s.Decision === "deny" ? "bad" : "good"];
    }
    case "FunctionError": return [`${s.Function} failed: ${s.ErrorType}`, "bad"];
    case "AsyncRetry": return [`Lambda's asynchronous retry ${s.Attempt} in ${s.DelayMs} ms`, "warn"];
    case "FailureQueue": return [`Every delivery failed (${s.Deliveries}): the event is on the failure queue`, "bad"];
    case "Callback": return [s.Status === 200
      ? `Callback accepted (200)`
      : `Callback refused: ${s.Status} ${s.Code || ""}${s.Injected ? " (injected fault)" : ""}`, s.Status === 200 ? "good" : "warn"];
    case "Decided": {
      const parts = [`${s.Processor}: ${s.Decision}`];
      if (s.Changed.length) parts.push(`changed ${s.Changed.join(", ")}`);
      if (s.AttributesAdded.length) parts.push(`attributes added: ${s.AttributesAdded.join(", ")}`);
      return [parts.join(" · "), s.Decision === "deny" ? "bad" : "good"];
    }
    case "Settled": return [`Settled ${s.Status}${s.Detail ? ` — ${s.Detail}` : ""}`, s.Status === "SENT" ? "good" : "bad"];
    default: return [s.Kind, ""];
  }
}

// ---- live ----

function listen() {
  if (state.source) state.source.close();
  const query = state.channel ? `?channel=${encodeURIComponent(state.channel.Arn)}` : "";
  const source = new EventSource(`${API}/events${query}`);
  state.source = source;
  source.addEventListener("hello", () => setLive(true));
  source.addEventListener("changes", (event) => {
    const data = JSON.parse(event.data);
    window.consoleStats.events += 1;
    window.consoleStats.seq = data.Seq;
    for (const m of data.Messages) state.pending.set(m.MessageId, m);
    schedule();
  });
  source.addEventListener("resync", (event) => {
    window.consoleStats.resyncs += 1;
    window.consoleStats.seq = JSON.parse(event.data).Seq;
    state.pending.clear();
    state.resync = true;
    schedule();
  });
  source.onerror = () => setLive(false);
  source.onopen = () => setLive(true);
}

function setLive(on) {
  $("live-dot").className = `dot ${on ? "on" : "off"}`;
  $("live-text").textContent = on ? "live" : "reconnecting…";
}

// Live changes are applied once per animation frame, however many arrive.
function schedule() {
  if (state.frame) return;
  state.frame = requestAnimationFrame(applyPending);
}

async function applyPending() {
  state.frame = 0;
  const stats = window.consoleStats;
  if (state.resync) {
    state.resync = false;
    if (state.before === null) await loadPage();
    if (state.selected) renderDetail();
    stats.rendered += 1;
    return;
  }
  const changes = [...state.pending.values()];
  state.pending.clear();
  let changed = false;
  const newest = Math.max(-1, ...[...state.rows.values()].map((m) => m.Position));
  for (const m of changes) {
    if (!state.channel || m.ChannelArn !== state.channel.Arn) continue;
    const shown = state.rows.has(m.MessageId);
    if (shown || (state.before === null && m.Position > newest - PAGE)) {
      state.rows.set(m.MessageId, m);
      changed = true;
    }
    if (m.MessageId === state.selected) renderDetail();
  }
  if (changed) {
    const kept = [...state.rows.values()].sort((a, b) => b.Position - a.Position).slice(0, PAGE);
    state.rows = new Map(kept.map((m) => [m.MessageId, m]));
    state.total = Math.max(state.total, ...kept.map((m) => m.Position + 1));
    renderRows();
    stats.rendered += changes.length;
  }
}

// ---- acts ----

function startEdit(m) {
  state.editing = m.MessageId;
  const select = $("send-sender");
  select.value = m.Sender.Arn;
  $("send-content").value = m.Content || "";
  $("send-button").textContent = "Save edit";
  $("send-cancel").hidden = false;
  $("send-content").focus();
}

function stopEdit() {
  state.editing = null;
  $("send-button").textContent = "Send";
  $("send-cancel").hidden = true;
  $("send-content").value = "";
}

async function send(event) {
  event.preventDefault();
  const select = $("send-sender");
  const sender = select.value;
  const option = select.selectedOptions[0];
  const sub = option && option.dataset.sub ? option.dataset.sub : undefined;
  const content = $("send-content").value;
  if (!content.trim()) { say("send-answer", "Write something first.", true); return; }
  const channel = encodeURIComponent(state.channel.Arn);
  try {
    if (state.editing) {
      await operation("PUT", `/channels/${channel}/messages/${encodeURIComponent(state.editing)}`, sender, { Content: content, SubChannelId: sub });
      say("send-answer", "Edit sent (UpdateChannelMessage).");
      stopEdit();
    } else {
      const answer = await operation("POST", `/channels/${channel}/messages`, sender, {
        Content: content, Type: "STANDARD", Persistence: "PERSISTENT", SubChannelId: sub, ClientRequestToken: crypto.randomUUID(),
      });
      say("send-answer", `Sent (SendChannelMessage): ${answer.Status ? answer.Status.Value : ""}`);
      $("send-content").value = "";
      state.selected = answer.MessageId;
      await loadPage();
      renderDetail();
    }
  } catch (error) {
    say("send-answer", error.message, true);
  }
}

function toggle(button, panelId) {
  const panel = $(panelId);
  panel.hidden = !panel.hidden;
  button.setAttribute("aria-expanded", String(!panel.hidden));
  if (!panel.hidden) { const first = panel.querySelector("textarea, input, select"); if (first) first.focus(); }
  return !panel.hidden;
}

// The rules' text is read-only until the service's answer fills it, so nothing typed meanwhile is
// overwritten by a late answer (and then applied as if it were what was typed).
async function loadFaults() {
  const text = $("faults-text");
  text.readOnly = true;
  text.setAttribute("aria-busy", "true");
  try { text.value = JSON.stringify(await control("GET", "faults"), null, 1); } catch (error) { say("faults-answer", error.message, true); }
  finally { text.readOnly = false; text.removeAttribute("aria-busy"); }
}

async function applyFaults(event) {
  event.preventDefault();
  let rules;
  try { rules = JSON.parse($("faults-text").value || "{}"); } catch (error) { say("faults-answer", `Not JSON: ${error.message}`, true); return; }
  try { await control("PUT", "faults", rules); say("faults-answer", "Fault rules applied."); } catch (error) { say("faults-answer", error.message, true); }
}

async function clearFaults() {
  try { await control("PUT", "faults", {}); $("faults-text").value = "{}"; say("faults-answer", "Fault rules cleared."); } catch (error) { say("faults-answer", error.message, true); }
}

async function advanceClock(event) {
  event.preventDefault();
  const seconds = Number($("clock-seconds").value);
  if (!Number.isInteger(seconds) || seconds < 0) { say("clock-answer", "Give a whole number of seconds, 0 or more.", true); return; }
  try { const answer = await control("POST", "clock", { AdvanceSeconds: seconds }); say("clock-answer", `Advanced; swept ${JSON.stringify(answer.Swept)}.`); loadOverview(); } catch (error) { say("clock-answer", error.message, true); }
}

let samples = [];
async function loadSamples() {
  const select = $("stage-sample");
  select.setAttribute("aria-busy", "true");
  try {
    samples = (await getJson(`${API}/samples`)).Samples;
    // A reload keeps the sample chosen when it arrives (by name), so a late answer never swaps it.
    const chosen = select.selectedOptions[0]?.textContent;
    select.replaceChildren(...samples.map((s, i) => el("option", { value: String(i), text: s.Name, selected: s.Name === chosen ? "" : undefined })));
  } catch (error) { say("stage-answer", error.message, true); }
  finally { select.removeAttribute("aria-busy"); }
}

async function stage(event) {
  event.preventDefault();
  const sample = samples[Number($("stage-sample").value)];
  if (!sample) return;
  let parsed;
  try { parsed = JSON.parse(sample.Event); } catch (error) { say("stage-answer", `${sample.Name} is not JSON (${error.message}): chime-local would refuse it too.`, true); return; }
  try {
    const answer = await control("POST", "events", parsed);
    say("stage-answer", `Staged ${answer.MessageId} (PENDING, CallbackId ${answer.CallbackId.slice(0, 10)}…): run its processor with cargo lambda invoke.`);
    await loadOverview();
  } catch (error) { say("stage-answer", error.message, true); }
}

async function runDemo() {
  const button = $("run-demo");
  button.disabled = true;
  try { await control("POST", "demo"); } catch (error) { $("live-text").textContent = error.message; }
  setTimeout(() => { button.disabled = false; }, 3000);
  for (const wait of [300, 800, 1500, 3000]) setTimeout(loadOverview, wait);
}

function start() {
  $("send-form").addEventListener("submit", send);
  $("send-cancel").addEventListener("click", stopEdit);
  $("faults-form").addEventListener("submit", applyFaults);
  $("faults-clear").addEventListener("click", clearFaults);
  $("clock-form").addEventListener("submit", advanceClock);
  $("stage-form").addEventListener("submit", stage);
  $("run-demo").addEventListener("click", runDemo);
  $("open-faults").addEventListener("click", (e) => { if (toggle(e.currentTarget, "faults-panel")) loadFaults(); });
  $("open-clock").addEventListener("click", (e) => toggle(e.currentTarget, "clock-panel"));
  $("open-stage").addEventListener("click", (e) => { if (toggle(e.currentTarget, "stage-panel")) loadSamples(); });
  $("older").addEventListener("click", () => { state.before = state.next; loadPage(); });
  $("newer").addEventListener("click", () => { state.before = null; loadPage(); });
  loadOverview().then(() => {
    const wanted = new URLSearchParams(location.search).get("channel");
    if (wanted && findChannel(wanted)) chooseChannel(wanted);
  });
  listen();
  // Counts in the tree (members, messages, new channels) refresh every two seconds.
  setInterval(loadOverview, 2000);
  let last = 0;
  setInterval(() => {
    const now = window.consoleStats.rendered;
    $("rate").textContent = now > last ? `${now - last} updates/s` : "";
    last = now;
  }, 1000);
}

start();
