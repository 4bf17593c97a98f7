// Crawl Cluster dashboard: polls GET /ui/api/state every second and draws it; feeds, asks info
// and stops through POST /feed. Plain modern JS, no build step. Every value from the server
// goes into the page as text (textContent), never as HTML.

const POLL_MS = 1000;
const KEY_STORE = "crawl-cluster-api-key";

const $ = (selector) => document.querySelector(selector);
let apiKey = sessionStorage.getItem(KEY_STORE) ?? "";
let scopes = new Set();

/** fetch with the API key, when there is one. */
function call(path, init = {}) {
  const headers = new Headers(init.headers);
  if (apiKey) headers.set("x-api-key", apiKey);
  return fetch(path, { ...init, headers, cache: "no-store" });
}

/** An element with text and attributes. */
function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  return node;
}

const fmtRate = (n) => (n >= 10 ? n.toFixed(0) : n.toFixed(1));
const fmtInt = (n) => Number(n).toLocaleString("en");

function setStatus(state, text) {
  const badge = $("#status");
  badge.dataset.state = state;
  badge.textContent = text;
}

// --- API key --------------------------------------------------------------------------------

function askForKey(message) {
  const dialog = $("#key-dialog");
  $("#key-error").hidden = !message;
  $("#key-error").textContent = message ?? "";
  if (!dialog.open) dialog.showModal();
  $("#key-input").focus();
}

$("#key-form").addEventListener("submit", () => {
  apiKey = $("#key-input").value.trim();
  sessionStorage.setItem(KEY_STORE, apiKey);
  $("#key-input").value = "";
  $("#change-key").hidden = false;
  refresh();
});
$("#change-key").addEventListener("click", () => askForKey());

// --- Drawing the state ----------------------------------------------------------------------

function fillTable(id, rows, makeRow) {
  const body = $(`#${id} tbody`);
  body.replaceChildren(...rows.map(makeRow));
  $(`#${id}-section .empty`).hidden = rows.length > 0;
  $(`#${id}`).hidden = rows.length === 0;
}

function crawlRow(crawl) {
  const tr = el("tr", null, { "data-crawl": `${crawl.appid}/${crawl.crawlid}` });
  const cell = (field, text, cls) => {
    const td = el("td", text, { "data-field": field });
    if (cls) td.className = cls;
    tr.append(td);
  };
  cell("spiderid", crawl.spiderid);
  cell("appid", crawl.appid);
  cell("crawlid", crawl.crawlid);
  cell("done", fmtInt(crawl.done), "num");
  cell("pending", fmtInt(crawl.pending), "num");
  cell("rate", fmtRate(crawl.ratePerSec), "num");
  cell("errors", fmtInt(crawl.errors), crawl.errors > 0 ? "num warn" : "num");
  cell("refused", fmtInt(crawl.refused), "num");
  const stop = el("button", "Stop", {
    type: "button",
    class: "danger small",
    "data-scope": "admin",
  });
  stop.disabled = !scopes.has("admin") || crawl.pending === 0;
  stop.title = scopes.has("admin") ? "Stop this crawl" : "Needs an API key with the admin scope";
  stop.addEventListener("click", () => stopCrawl(crawl));
  const td = el("td");
  td.append(stop);
  tr.append(td);
  return tr;
}

function spiderBlock(spider) {
  const block = el("div", null, { class: "spider", "data-spider": spider.spiderid });
  const head = el("h3", spider.spiderid);
  head.append(el("span", `${fmtInt(spider.backlog)} pending`, { "data-field": "backlog" }));
  head.append(el("span", `${spider.domains} domains · ${spider.crawlers} crawlers`, {
    class: "muted",
  }));
  block.append(head);
  const max = Math.max(1, ...spider.top.map((d) => d.backlog));
  for (const domain of spider.top) {
    const row = el("div", null, { class: "bar-row" });
    row.append(el("span", domain.domain, { class: "domain" }));
    const bar = el("span", null, { class: "bar" });
    const fill = el("span", null, { class: "fill" });
    fill.style.width = `${Math.round((100 * domain.backlog) / max)}%`;
    bar.append(fill);
    row.append(bar, el("span", fmtInt(domain.backlog), { class: "num" }));
    block.append(row);
  }
  return block;
}

function nodeRow(node) {
  const tr = el("tr", null, { "data-node": `${node.component}/${node.id}` });
  const name = node.spiderid ? `crawler (${node.spiderid})` : node.component;
  tr.append(el("td", name), el("td", node.host), el("td", node.id, { class: "mono" }));
  const age = node.beatAgeSec === null ? "?" : `${node.beatAgeSec}s ago`;
  tr.append(el("td", age, { class: "num" }));
  const tags = el("td");
  for (const tag of node.tags) tags.append(el("span", tag, { class: "tag" }));
  tr.append(tags);
  const rate = node.pagesPerSec === undefined ? "" : fmtRate(node.pagesPerSec);
  tr.append(el("td", rate, { class: "num", "data-field": "rate" }));
  return tr;
}

function failureRow(failure) {
  const tr = el("tr");
  tr.append(
    el("td", new Date(failure.time).toLocaleTimeString()),
    el("td", `${failure.appid}/${failure.crawlid}`),
    el("td", failure.url, { class: "url" }),
    el("td", failure.reason),
  );
  return tr;
}

function draw(state) {
  scopes = new Set(state.scopes);
  const admin = scopes.has("admin");
  const access = $("#access");
  access.hidden = false;
  access.textContent = admin ? "admin" : `read-only (${[...scopes].join(", ") || "no scope"})`;
  access.dataset.state = admin ? "admin" : "readonly";
  for (const form of document.querySelectorAll("form[data-scope]")) {
    const allowed = scopes.has(form.dataset.scope);
    for (const control of form.elements) control.disabled = !allowed;
    form.title = allowed ? "" : `Needs an API key with the ${form.dataset.scope} scope`;
  }
  fillTable("crawls", state.crawls, crawlRow);
  $("#spiders").replaceChildren(...state.spiders.map(spiderBlock));
  $("#spiders-section .empty").hidden = state.spiders.length > 0;
  fillTable("nodes", state.nodes, nodeRow);
  fillTable("failures", state.failures, failureRow);
  $("#change-key").hidden = !apiKey;
  $("#updated").textContent = `updated ${new Date(state.time).toLocaleTimeString()}`;
}

// --- Polling --------------------------------------------------------------------------------

let timer = null;

async function refresh() {
  clearTimeout(timer);
  try {
    const res = await call("api/state");
    if (res.status === 401) {
      setStatus("auth", "API key needed");
      askForKey(apiKey ? "That key was refused." : undefined);
      return; // polling resumes once a key is given
    }
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    draw(await res.json());
    setStatus("live", "live");
  } catch (err) {
    setStatus("down", `cannot reach the cluster (${err.message})`);
  }
  timer = setTimeout(refresh, POLL_MS);
}

// --- Actions --------------------------------------------------------------------------------

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function showAnswer(title, body) {
  const answer = $("#answer");
  answer.classList.remove("muted");
  answer.textContent = `${title}\n${
    typeof body === "string" ? body : JSON.stringify(body, null, 2)
  }`;
}

/** POST /feed; a late answer (poll_id) is polled for up to 30 s. */
async function feed(request, title) {
  showAnswer(title, "sending…");
  try {
    const res = await call("../feed", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(request),
    });
    let body = await res.json();
    const pollId = body?.data?.poll_id;
    for (let i = 0; pollId && i < 30 && res.ok; i++) {
      showAnswer(title, `waiting for the answer (poll_id ${pollId})…`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const polled = await call("../poll", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ poll_id: pollId }),
      });
      if (polled.status === 404) continue;
      body = await polled.json();
      break;
    }
    showAnswer(`${title}: HTTP ${res.status}`, body);
  } catch (err) {
    showAnswer(title, `failed: ${err.message}`);
  }
  refresh();
}

function formValues(form) {
  const values = {};
  for (const [name, value] of new FormData(form)) if (String(value).trim()) values[name] = value;
  return values;
}

$("#feed-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const v = formValues(event.target);
  const request = {
    url: v.url,
    appid: v.appid,
    crawlid: v.crawlid ?? uuid().replaceAll("-", "").slice(0, 12),
    spiderid: v.spiderid ?? "link",
    maxdepth: Number(v.maxdepth ?? 0),
  };
  feed(request, `feed ${request.appid}/${request.crawlid}`);
});

$("#info-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const v = formValues(event.target);
  const request = { action: "info", appid: v.appid, spiderid: v.spiderid ?? "link", uuid: uuid() };
  if (v.crawlid) request.crawlid = v.crawlid;
  feed(request, `info ${v.appid}${v.crawlid ? `/${v.crawlid}` : ""}`);
});

$("#stop-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const v = formValues(event.target);
  stopCrawl({ appid: v.appid, crawlid: v.crawlid, spiderid: v.spiderid ?? "link" });
});

function stopCrawl({ appid, crawlid, spiderid }) {
  const what = crawlid ? `${appid}/${crawlid}` : `every crawl of ${appid}`;
  if (!confirm(`Stop ${what}? Its pending requests are dropped.`)) return;
  const request = { action: "stop", appid, spiderid, uuid: uuid() };
  if (crawlid) request.crawlid = crawlid;
  feed(request, `stop ${what}`);
}

refresh();
