// memoria chat page: plain JavaScript over the HTTP API (no build step).
const $ = (id) => document.getElementById(id);
let threadId = localStorage.getItem("memoria.thread") || crypto.randomUUID();

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
}

function headers(json) {
  const h = session ? { authorization: `Bearer ${session.token}` } : { "x-user-id": user() };
  if (json) h["content-type"] = "application/json";
  return h;
}

async function refused(response) {
  const detail = (await response.json()).detail || response.statusText;
  let error = new Error(detail);
  if (response.status === 401 && session) {
    setSession(null); // expired or revoked: ask for the key again
    error = new Error(`${detail} (enter the API key to sign in again)`);
  }
  error.status = response.status;
  return error;
}

// A thread not stored yet is a 404; anything else (a refused token) is the user's to see.
const unlessAbsent = (err) => { if (err.status !== 404) throw err; };

async function api(path) {
  const response = await fetch(path, { headers: headers(false) });
  if (!response.ok) throw await refused(response);
  return response.json();
}

function showError(text) { $("error").textContent = text || ""; }

function addMessage(type, text) {
  const div = document.createElement("div");
  div.className = `msg ${type}`;
  div.textContent = text;
  $("messages").append(div);
  div.scrollIntoView({ block: "end" });
  return div;
}

function showSources(citations) {
  $("sources").replaceChildren(...(citations || []).map((c) => {
    const li = document.createElement("li");
    li.textContent = `${c.title}: ${c.snippet}`;
    return li;
  }));
}

async function refreshThreads() {
  const { threads } = await api("/threads");
  const ids = threads.map((t) => t.thread_id);
  if (!ids.includes(threadId)) ids.unshift(threadId);
  $("threads").replaceChildren(...ids.map((id) => {
    const li = document.createElement("li");
    li.textContent = id;
    li.className = id === threadId ? "current" : "";
    li.onclick = () => openThread(id);
    return li;
  }));
}

async function refreshMemory() {
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
  try {
    const thread = await api(`/threads/${encodeURIComponent(threadId)}`);
    $("summary").textContent = thread.summary ? thread.summary.summary : "–";
  } catch (err) {
    $("summary").textContent = "–";
    unlessAbsent(err);
  }
}

async function openThread(id) {
  threadId = id;
  localStorage.setItem("memoria.thread", id);
  $("messages").replaceChildren();
  showSources([]);
  try {
    const thread = await api(`/threads/${encodeURIComponent(id)}`);
    for (const m of thread.messages) {
      if (m.type === "human" || (m.type === "ai" && m.data.content)) addMessage(m.type, m.data.content);
    }
  } catch (err) { unlessAbsent(err); /* a new thread has no messages yet */ }
  await refreshThreads();
  await refreshMemory();
}

async function send(text) {
  addMessage("human", text);
  const pending = addMessage("ai", "…");
  const body = {
    input: { messages: [{ type: "human", content: text }] },
    config: { configurable: { user_id: user(), thread_id: threadId, ...($("incognito").checked ? { incognito: true } : {}) } },
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
        pending.textContent = streamed;
      }
      else if (line.startsWith("data: ") && event === "data") onUpdate(JSON.parse(line.slice(6)), pending);
      else if (line.startsWith("data: ") && event === "error") throw new Error(JSON.parse(line.slice(6)).message);
    }
  }
}

function onUpdate(update, pending) {
  for (const [node, value] of Object.entries(update)) {
    if (!value) continue;
    if (node === "router" && value.route) {
      $("strategy").textContent = `${value.route.strategy}: ${value.route.reason}`;
    }
    if (node === "generate") {
      const last = (value.messages || []).at(-1);
      if (last && last.content) pending.textContent = last.content;
      showSources(value.citations);
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
    await refreshMemory();
  } catch (err) { showError(err.message); }
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
openThread(threadId).catch((err) => showError(err.message));
