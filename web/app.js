// memoria chat page: plain JavaScript over the HTTP API (no build step).
const $ = (id) => document.getElementById(id);
let threadId = localStorage.getItem("memoria.thread") || crypto.randomUUID();
let stored = new Set(); // the user's threads the server holds (others are new: nothing to fetch)

// Labels in the conversation's language (the router's guess at the user's last message).
const LABELS = {
  en: {
    user: "user", key: "API key", newThread: "New thread", upload: "Add a document", send: "Send",
    strategy: "Strategy", facts: "What I know about you", summary: "Summary of this thread",
    ask: "Ask, or tell me something to remember", sources: "Sources", uploading: "Uploading",
    indexing: "Indexing", indexed: "Indexed", failed: "Failed", chunks: "chunks", keyHint: "local mode: none",
  },
  pt: {
    user: "utilizador", key: "chave da API", newThread: "Nova conversa", upload: "Adicionar um documento",
    send: "Enviar", strategy: "Estratégia", facts: "O que sei sobre si", summary: "Resumo desta conversa",
    ask: "Pergunte, ou diga-me algo para lembrar", sources: "Fontes", uploading: "A enviar",
    indexing: "A indexar", indexed: "Indexado", failed: "Falhou", chunks: "excertos", keyHint: "modo local: nenhuma",
  },
};
let language = "en";
const t = (name) => LABELS[language][name];

function setLanguage(next) {
  language = LABELS[next] ? next : "en";
  document.documentElement.lang = language;
  for (const el of document.querySelectorAll("[data-label]")) el.textContent = t(el.dataset.label);
  $("text").placeholder = t("ask");
  $("key").placeholder = t("keyHint");
  for (const li of document.querySelectorAll("#threads li.untitled")) li.textContent = t("newThread");
}

// The API key is used once, to get a user token for the user named (POST /tokens), and is
// never kept: the page holds only the token, for this tab's session. In local mode (no key)
// it names the user in X-User-Id, as before.
let session = JSON.parse(sessionStorage.getItem("memoria.session") || "null");
localStorage.removeItem("memoria.key"); // where pages before user tokens kept the key

$("user").value = session ? session.user : localStorage.getItem("memoria.user") || "guest";
const user = () => $("user").value.trim();

function setSession(next) {
  session = next;
  if (next) sessionStorage.setItem("memoria.session", JSON.stringify(next));
  else sessionStorage.removeItem("memoria.session");
  $("session").textContent = next ? `signed in as ${next.user} until ${next.until.slice(11, 16)} UTC` : "";
}
setSession(session);

async function signIn(key) {
  const response = await fetch("/tokens", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify({ user_id: user(), ttl_s: 8 * 3600 }),
  });
  if (!response.ok) throw new Error(`signing in: ${(await response.json()).detail || response.statusText}`);
  const minted = await response.json();
  setSession({ token: minted.token, user: minted.user_id, until: minted.expires_at });
  lapsed = null;
}

function headers(json) {
  const h = session ? { authorization: `Bearer ${session.token}` } : { "x-user-id": user() };
  if (json) h["content-type"] = "application/json";
  return h;
}

// Why the last session ended (expired, revoked), if it did: a background refresh may be the
// first to learn it, and the next request, sent without a token, must still say so.
let lapsed = null;

async function refused(response) {
  const detail = (await response.json()).detail || response.statusText;
  let error = new Error(detail);
  if (response.status === 401 && session) {
    setSession(null); // expired or revoked: ask for the key again
    lapsed = detail;
  }
  if (response.status === 401 && lapsed) {
    error = new Error(`${lapsed} (enter the API key to sign in again)`);
  }
  error.status = response.status;
  return error;
}

async function api(path) {
  const response = await fetch(path, { headers: headers(false) });
  if (!response.ok) throw await refused(response);
  return response.json();
}

function showError(text) { $("error").textContent = text || ""; }

// A message; an answer also lists its own sources under it (each answer keeps its own).
function addMessage(type, text) {
  const div = document.createElement("div");
  div.className = `msg ${type}`;
  div.append(document.createElement("span"));
  div.firstChild.textContent = text;
  $("messages").append(div);
  div.scrollIntoView({ block: "end" });
  return div;
}

function setText(message, text) { message.firstChild.textContent = text; }

function showSources(message, citations) {
  if (!citations || !citations.length) return;
  const list = document.createElement("ol");
  list.className = "sources";
  list.title = t("sources");
  list.replaceChildren(...citations.map((c) => {
    const li = document.createElement("li");
    li.textContent = `${c.title}: ${c.snippet}`;
    return li;
  }));
  message.querySelector("ol.sources")?.remove();
  message.append(list);
  list.scrollIntoView({ block: "end" });
}

// The user's threads, titled by their first question; the current one first if it is new.
async function refreshThreads() {
  const { threads } = await api("/threads");
  stored = new Set(threads.map((thread) => thread.thread_id));
  if (!stored.has(threadId)) threads.unshift({ thread_id: threadId, title: null });
  $("threads").replaceChildren(...threads.map(({ thread_id: id, title }) => {
    const li = document.createElement("li");
    li.textContent = title || t("newThread");
    li.title = id;
    li.className = `${id === threadId ? "current" : ""} ${title ? "" : "untitled"}`.trim();
    li.onclick = () => openThread(id).catch((err) => showError(err.message));
    return li;
  }));
}

async function refreshFacts() {
  const facts = await api(`/users/${encodeURIComponent(user())}/facts`);
  const items = [
    ...facts.current.map((f) => [f.text, ""]),
    ...facts.history.map((f) => [`${f.text} (until ${(f.valid_to || "").slice(0, 10)})`, "history"]),
  ];
  $("facts").replaceChildren(...items.map(([text, cls]) => {
    const li = document.createElement("li");
    li.textContent = text;
    li.className = cls;
    return li;
  }));
  return JSON.stringify(items);
}

// The selected thread's last routing decision (none yet for a new thread).
async function refreshStrategy(id) {
  let shown = "–";
  if (stored.has(id)) {
    const { decisions } = await api(`/users/${encodeURIComponent(user())}/strategy?limit=50`);
    const last = (decisions || []).find((d) => d.thread_id === id);
    if (last) shown = `${last.strategy}: ${last.reason}`;
  }
  if (id === threadId) $("strategy").textContent = shown;
}

// Facts are recorded after the answer (by the outbox worker): look again for a few seconds,
// so the panel shows what this turn taught without waiting for the next one.
async function followFacts() {
  const before = await refreshFacts();
  for (const wait of [500, 1000, 2000, 4000]) {
    await new Promise((done) => setTimeout(done, wait));
    if ((await refreshFacts()) !== before) return;
  }
}

async function openThread(id) {
  threadId = id;
  localStorage.setItem("memoria.thread", id);
  $("messages").replaceChildren();
  $("strategy").textContent = "–";
  $("summary").textContent = "–";
  await refreshThreads();
  if (stored.has(id)) {
    const thread = await api(`/threads/${encodeURIComponent(id)}`);
    if (id !== threadId) return; // another thread was opened meanwhile
    for (const m of thread.messages) {
      if (m.type !== "human" && !(m.type === "ai" && m.data.content)) continue;
      const shown = addMessage(m.type, m.data.content);
      if (m.type === "ai") showSources(shown, (thread.citations || {})[m.data.id]);
    }
    $("summary").textContent = thread.summary ? thread.summary.summary : "–";
    setLanguage(thread.language);
  }
  await Promise.all([refreshStrategy(id), refreshFacts()]);
}

async function send(text) {
  const id = threadId;
  addMessage("human", text);
  const pending = addMessage("ai", "…");
  const body = {
    input: { messages: [{ type: "human", content: text }] },
    config: { configurable: { user_id: user(), thread_id: id, ...($("incognito").checked ? { incognito: true } : {}) } },
  };
  // tokens=true: with an LLM the answer appears as it is written; offline it arrives whole.
  const response = await fetch("/agent/stream?tokens=true", { method: "POST", headers: headers(true), body: JSON.stringify(body) });
  if (!response.ok) {
    pending.remove();
    throw await refused(response);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "", event = "", streamed = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    const lines = buffer.split(/\r?\n/);
    buffer = lines.pop();
    for (const line of lines) {
      if (line.startsWith("event: ")) event = line.slice(7).trim();
      else if (line.startsWith("data: ") && event === "token") {
        streamed += JSON.parse(line.slice(6)).content;
        setText(pending, streamed);
      }
      else if (line.startsWith("data: ") && event === "data") onUpdate(JSON.parse(line.slice(6)), pending, id);
      else if (line.startsWith("data: ") && event === "error") throw new Error(JSON.parse(line.slice(6)).message);
    }
  }
}

function onUpdate(update, pending, id) {
  for (const [node, value] of Object.entries(update)) {
    if (!value || id !== threadId) continue; // the user opened another thread meanwhile
    if (node === "router" && value.route) {
      $("strategy").textContent = `${value.route.strategy}: ${value.route.reason}`;
      if (value.language) setLanguage(value.language);
    }
    if (node === "generate") {
      const last = (value.messages || []).at(-1);
      if (last && last.content) setText(pending, last.content);
      showSources(pending, value.citations);
    }
  }
}

$("ask").onsubmit = async (e) => {
  e.preventDefault();
  const text = $("text").value.trim();
  if (!text) return;
  $("text").value = "";
  showError("");
  try {
    await send(text);
    await refreshThreads();
    await followFacts();
  } catch (err) { showError(err.message); }
};

// Upload a document into the knowledge base: bytes sent, then chunks indexed.
function uploadFile(file) {
  const bar = $("upload-progress"), status = $("upload-status");
  const show = (text, done, total) => {
    status.textContent = text;
    bar.hidden = false;
    bar.max = total || 1;
    bar.value = done || 0;
  };
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/documents");
    for (const [name, value] of Object.entries(headers(false))) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => show(`${t("uploading")} ${file.name}`, e.loaded, e.total);
    xhr.onerror = () => reject(new Error(`${t("failed")}: ${file.name}`));
    xhr.onload = () => {
      const body = JSON.parse(xhr.responseText || "{}");
      if (xhr.status >= 400) reject(new Error(body.detail || xhr.statusText));
      else resolve(body.status_url);
    };
    xhr.send(form);
  }).then(async (statusUrl) => {
    for (;;) {
      const job = await api(statusUrl);
      const name = job.filename || file.name;
      if (job.status === "done") {
        show(`${t("indexed")}: ${name} (${job.chunks_total} ${t("chunks")})`, 1, 1);
        return;
      }
      if (job.status === "failed") throw new Error(`${t("failed")}: ${name}: ${job.error}`);
      show(`${t("indexing")} ${name}: ${job.chunks_done || 0}/${job.chunks_total || "?"}`, job.chunks_done, job.chunks_total);
      await new Promise((done) => setTimeout(done, 400));
    }
  });
}
$("file").onchange = () => {
  const file = $("file").files[0];
  if (!file) return;
  showError("");
  uploadFile(file)
    .catch((err) => { $("upload-status").textContent = ""; $("upload-progress").hidden = true; showError(err.message); })
    .finally(() => { $("file").value = ""; });
};
$("new-thread").onclick = () => openThread(crypto.randomUUID());
$("user").onchange = () => {
  localStorage.setItem("memoria.user", user());
  if (session && session.user !== user()) setSession(null); // a token acts for its user only
  showError("");
  openThread(crypto.randomUUID()).catch((err) => showError(err.message));
};
$("key").onchange = () => {
  const key = $("key").value.trim();
  $("key").value = "";
  if (!key) return;
  showError("");
  signIn(key)
    .then(() => openThread(crypto.randomUUID()))
    .catch((err) => showError(err.message));
};
setLanguage("en");
openThread(threadId).catch((err) => showError(err.message));
