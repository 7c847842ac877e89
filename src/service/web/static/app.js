// The astrolake web page: plain DOM code talking to the service's HTTP API (TAP, UWS, /auth,
// /storage, /mydb). The token lives in sessionStorage and goes out as a Bearer header; text from
// the service is always inserted with textContent, never as HTML.
"use strict";

const $ = (sel) => document.querySelector(sel);
const PAGE_ROWS = 50;
let token = sessionStorage.getItem("astrolake-token") || "";
let result = { header: [], rows: [], page: 0, adql: "" };
let cwd = "";  // the folder shown under Files, relative to vos://

// ---------- talking to the service ----------

class ApiError extends Error {}

// The service's message: X-Error (TAP), {"error": ...} (platform API), or the body's text.
async function errorText(res) {
  const header = res.headers.get("X-Error");
  if (header) return header;
  const text = await res.text();
  try { return JSON.parse(text).error || text; } catch (e) { /* not JSON */ }
  const info = /<INFO[^>]*QUERY_STATUS[^>]*>([^<]*)</.exec(text);
  return (info ? info[1] : text).trim() || res.status + " " + res.statusText;
}

async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  if (token) headers.set("Authorization", "Bearer " + token);
  const res = await fetch(path, { ...options, headers });
  if (!res.ok) {
    if (res.status === 401 && token) setToken("");
    throw new ApiError(await errorText(res));
  }
  return res;
}

function form(params) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) body.set(k, v);
  return { method: "POST", body };
}

function say(text, isError = false) {
  const m = $("#message");
  m.textContent = text;
  m.className = isError ? "error" : "";
}

// Runs an async action, reporting its failure in the message line.
function action(fn) {
  return async (ev) => {
    if (ev && ev.preventDefault) ev.preventDefault();
    try { await fn(ev); } catch (e) { say(e.message, true); }
  };
}

function el(tag, text, attrs = {}) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

function button(label, onClick, attrs = {}) {
  const b = el("button", label, { type: "button", ...attrs });
  b.addEventListener("click", action(onClick));
  return b;
}

function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = el("a", null, { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

// ---------- log in / out ----------

function setToken(t) {
  token = t;
  if (t) sessionStorage.setItem("astrolake-token", t); else sessionStorage.removeItem("astrolake-token");
  showUser();
}

async function showUser() {
  let name = "anonymous";
  if (token) {
    try { name = (await (await api("/auth/whoAmI")).text()).trim(); } catch (e) { name = "anonymous"; }
  }
  const signedIn = token && name !== "anonymous";
  $("#login").hidden = !!signedIn;
  $("#who").hidden = !signedIn;
  $("#who-name").textContent = signedIn ? name : "";
}

async function login(ev) {
  const f = ev.target;
  const res = await api("/auth/login", form({ username: f.username.value, password: f.password.value }));
  f.password.value = "";
  setToken((await res.text()).trim());
  say("Logged in as " + f.username.value + ".");
  loadCatalogs();
}

async function logout() {
  try { await api("/auth/logout"); } finally { setToken(""); }
  say("Logged out.");
  loadCatalogs();  // without the personal tables
}

// ---------- catalogs and columns ----------

async function loadCatalogs() {
  const xml = new DOMParser().parseFromString(await (await api("/tap/tables")).text(), "application/xml");
  const list = $("#catalogs");
  const select = $("#skymap-catalog");
  list.replaceChildren();
  select.replaceChildren();
  let first = "";
  for (const schema of xml.getElementsByTagName("schema")) {
    for (const table of schema.getElementsByTagName("table")) {
      const name = table.getElementsByTagName("name")[0].textContent;
      const li = el("li");
      const cols = el("ul", null, { hidden: "" });
      for (const c of table.getElementsByTagName("column")) {
        const cname = c.getElementsByTagName("name")[0].textContent;
        const type = c.getElementsByTagName("dataType")[0];
        const item = el("li");
        item.append(button(cname, () => insertText(cname)), el("span", type ? type.textContent : "", { class: "type" }));
        cols.append(item);
      }
      const head = button(name, () => {
        cols.hidden = !cols.hidden;
        head.setAttribute("aria-expanded", String(!cols.hidden));
      }, { "aria-expanded": "false" });
      head.addEventListener("dblclick", () => insertText(name));
      li.append(head, cols);
      list.append(li);
      if (!schema.getElementsByTagName("name")[0].textContent.toLowerCase().startsWith("tap_schema")) {
        select.append(el("option", name, { value: name }));
        first = first || name;
      }
    }
  }
  // The editor's starting query names a catalog this service really has.
  const editor = $("#adql");
  if (first && editor.value === editor.defaultValue) editor.value = "SELECT TOP 100 * FROM " + first;
}

function insertText(text) {
  const t = $("#adql");
  const at = t.selectionStart;
  t.setRangeText((at > 0 && !/\s|,|\(/.test(t.value[at - 1]) ? ", " : "") + text, at, t.selectionEnd, "end");
  t.focus();
}

// ---------- queries and results ----------

// RFC 4180 CSV: quoted fields may hold commas, quotes ("") and newlines.
function parseCsv(text) {
  const rows = [];
  let row = [], field = "", quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(field); field = ""; }
    else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field); rows.push(row); row = []; field = "";
    } else field += c;
  }
  if (field !== "" || row.length) { row.push(field); rows.push(row); }
  return rows;
}

function queryParams(format) {
  const p = { REQUEST: "doQuery", LANG: "ADQL", QUERY: $("#adql").value, RESPONSEFORMAT: format };
  const maxrec = $("#maxrec").value.trim();
  if (maxrec) p.MAXREC = maxrec;
  return p;
}

// The "Save to" name, when the result should go into storage instead of the page.
function outParam() {
  const out = $("#out").value.trim();
  return out ? { OUT: out } : {};
}

function showResult(csv, adql, source) {
  const rows = parseCsv(csv);
  result = { header: rows.shift() || [], rows, page: 0, adql };
  $("#result").hidden = false;
  $("#result-info").textContent = rows.length + " rows" + (source ? " from " + source : "");
  drawPage();
}

function drawPage() {
  const t = $("#result-table");
  const pages = Math.max(1, Math.ceil(result.rows.length / PAGE_ROWS));
  result.page = Math.min(Math.max(result.page, 0), pages - 1);
  const head = el("tr");
  for (const h of result.header) head.append(el("th", h, { scope: "col" }));
  const thead = el("thead");
  thead.append(head);
  const tbody = el("tbody");
  for (const r of result.rows.slice(result.page * PAGE_ROWS, (result.page + 1) * PAGE_ROWS)) {
    const tr = el("tr");
    for (const v of r) tr.append(el("td", v));
    tbody.append(tr);
  }
  t.replaceChildren(thead, tbody);
  $("#page-info").textContent = "Page " + (result.page + 1) + " of " + pages;
  $("#page-prev").disabled = result.page === 0;
  $("#page-next").disabled = result.page >= pages - 1;
}

async function runSync() {
  const started = performance.now();
  say("Running…");
  const out = outParam();
  const res = await api("/tap/sync", form({ ...queryParams("csv"), ...out }));
  if (out.OUT) {
    const stored = await res.json();
    say("Stored " + stored.rows + " rows in " + stored.out + " (" + stored.size + " bytes).");
    return;
  }
  showResult(await res.text(), $("#adql").value);
  say("Done in " + ((performance.now() - started) / 1000).toFixed(2) + " s.");
}

async function runAsync() {
  const res = await api("/tap/async", form({ ...queryParams("csv"), ...outParam(), PHASE: "RUN" }));
  const id = new URL(res.url).pathname.split("/").pop();
  say("Submitted job " + id + ".");
  showTab("jobs");
}

async function download(format) {
  const ext = { csv: "csv", votable: "vot", parquet: "parquet" }[format];
  say("Preparing the " + format + " download…");
  const res = await api("/tap/sync", form({ ...queryParams(format), QUERY: result.adql || $("#adql").value }));
  saveBlob(await res.blob(), "result." + ext);
  say("Downloaded result." + ext + ".");
}

// ---------- jobs ----------

let jobsTimer = null;

function text(node, tag) {
  const e = node.getElementsByTagNameNS("*", tag)[0];
  return e && e.getAttribute("xsi:nil") !== "true" ? e.textContent : "";
}

function duration(job) {
  const start = text(job, "startTime"), end = text(job, "endTime");
  if (!start) return "";
  const ms = (end ? Date.parse(end) : Date.now()) - Date.parse(start);
  return (ms / 1000).toFixed(1) + " s" + (end ? "" : " so far");
}

async function loadJobs() {
  clearTimeout(jobsTimer);
  const parse = async (path) =>
    new DOMParser().parseFromString(await (await api(path)).text(), "application/xml");
  const list = await parse("/tap/async?LAST=100");  // the newest 100
  const ids = [...list.getElementsByTagNameNS("*", "jobref")].map((ref) => ref.getAttribute("id"));
  // A job deleted meanwhile (404) is left out rather than failing the whole list.
  const jobs = await Promise.all(ids.map((id) => parse("/tap/async/" + id).catch(() => null)));
  const tbody = $("#jobs-table tbody");
  const rows = [];
  let active = false;
  ids.forEach((id, i) => {
    const job = jobs[i];
    if (!job) return;
    const phase = text(job, "phase");
    active = active || phase === "QUEUED" || phase === "EXECUTING";
    let adql = "";
    for (const p of job.getElementsByTagNameNS("*", "parameter"))
      if (p.getAttribute("id").toUpperCase() === "QUERY") adql = p.textContent;
    const tr = el("tr");
    const q = el("td", adql, { class: "query", title: adql });
    const acts = el("td");
    if (phase === "COMPLETED") acts.append(button("Show", () => showJobResult(id, adql)));
    if (phase === "ERROR") acts.append(button("Why", () => say(text(job, "message"), true)));
    if (["PENDING", "QUEUED", "EXECUTING"].includes(phase))
      acts.append(button("Cancel", async () => {
        await api("/tap/async/" + id + "/phase", form({ PHASE: "ABORT" }));
        loadJobs();
      }));
    acts.append(button("Delete", async () => {
      await api("/tap/async/" + id, form({ ACTION: "DELETE" }));
      loadJobs();
    }));
    tr.append(el("td", id), el("td", phase, { class: "phase-" + phase }), el("td", text(job, "creationTime")),
              el("td", duration(job)), q, acts);
    rows.push(tr);
  });
  tbody.replaceChildren(...rows);
  if (!rows.length) {
    const tr = el("tr");
    tr.append(el("td", "No jobs.", { colspan: "6" }));
    tbody.append(tr);
  }
  if (active && !$("#tab-jobs").hidden) jobsTimer = setTimeout(action(loadJobs), 1500);
}

async function showJobResult(id, adql) {
  const res = await api("/tap/async/" + id + "/results/result");
  showTab("query");
  $("#adql").value = adql;
  showResult(await res.text(), adql, "job " + id);
}

// ---------- personal files ----------

const vos = (name) => "vos://" + (cwd ? cwd + "/" : "") + name;

async function loadFiles() {
  $("#cwd").textContent = vos("");
  const entries = await (await api("/storage/ls?name=" + encodeURIComponent(vos("")))).json();
  const rows = entries.map((e) => {
    const tr = el("tr");
    const name = el("td");
    if (e.type === "dir") name.append(button(e.name + "/", () => { cwd = vos(e.name).slice(6); loadFiles(); }));
    else name.textContent = e.name;
    const acts = el("td");
    if (e.type === "file") {
      acts.append(button("Download", async () => {
        saveBlob(await (await api("/storage/get?name=" + encodeURIComponent(vos(e.name)))).blob(), e.name);
      }));
      if (cwd !== "public" && !cwd.startsWith("public/"))
        acts.append(button("Share", async () => {
          await api("/storage/cp?" + new URLSearchParams({ from: vos(e.name), to: "vos://public/" + e.name }), { method: "POST" });
          say("Copied to vos://public/" + e.name + ": every logged-in user can read it.");
          loadFiles();
        }));
    }
    acts.append(button("Delete", async () => {
      if (!confirm("Delete " + vos(e.name) + "?")) return;
      const p = { file: vos(e.name) };
      if (e.type === "dir") p.recursive = "1";
      await api("/storage/rm?" + new URLSearchParams(p), { method: "POST" });
      loadFiles();
    }));
    const when = e.mtime ? new Date(typeof e.mtime === "number" ? e.mtime * 1000 : e.mtime).toISOString().slice(0, 19).replace("T", " ") : "";
    tr.append(name, el("td", e.type === "dir" ? "" : e.size), el("td", when), acts);
    return tr;
  });
  $("#files-table tbody").replaceChildren(...rows);
}

async function upload() {
  const file = $("#upload-file").files[0];
  if (!file) throw new ApiError("Choose a file to upload.");
  await api("/storage/put?name=" + encodeURIComponent(vos(file.name)), { method: "PUT", body: file });
  say("Uploaded " + vos(file.name) + ".");
  $("#upload-form").reset();
  loadFiles();
}

// ---------- personal tables ----------

async function loadTables() {
  const tables = await (await api("/mydb/list")).json();
  $("#tables-table tbody").replaceChildren(...tables.map((t) => {
    const tr = el("tr");
    const acts = el("td");
    acts.append(button("Query", () => {
      $("#adql").value = "SELECT TOP 100 * FROM mydb." + t.name;
      showTab("query");
    }), button("Drop", async () => {
      if (!confirm("Drop mydb." + t.name + "?")) return;
      await api("/mydb/drop?table=" + encodeURIComponent(t.name), { method: "POST" });
      loadTables();
    }));
    tr.append(el("td", t.name), el("td", t.rows), el("td", (t.columns || []).map((c) => c.name).join(", ")), acts);
    return tr;
  }));
}

async function importTable() {
  const p = new URLSearchParams({ table: $("#import-name").value, ra: $("#import-ra").value, dec: $("#import-dec").value });
  await api("/mydb/import?" + p, { method: "POST", body: $("#import-file").files[0] });
  say("Imported mydb." + $("#import-name").value + ".");
  loadTables();
}

// ---------- sky map ----------

async function drawSkymap() {
  const name = $("#skymap-catalog").value, order = $("#skymap-order").value;
  say("Drawing the sky map of " + name + "…");
  const res = await api("/web/skymap.png?" + new URLSearchParams({ catalog: name, order }));
  const img = $("#skymap-img");
  if (img.src) URL.revokeObjectURL(img.src);
  img.src = URL.createObjectURL(await res.blob());
  img.alt = "Sky density map of " + name + " at HEALPix order " + order + " (Mollweide projection)";
  img.hidden = false;
  say("");
}

// ---------- tabs and wiring ----------

const loaders = { jobs: loadJobs, files: loadFiles, tables: loadTables };

function showTab(name) {
  for (const b of document.querySelectorAll("nav button"))
    if (b.dataset.tab === name) b.setAttribute("aria-current", "page"); else b.removeAttribute("aria-current");
  for (const s of document.querySelectorAll("main > section")) s.hidden = s.id !== "tab-" + name;
  if (loaders[name]) action(loaders[name])();
}

document.addEventListener("DOMContentLoaded", () => {
  for (const b of document.querySelectorAll("nav button")) b.addEventListener("click", () => showTab(b.dataset.tab));
  $("#login").addEventListener("submit", action(login));
  $("#logout").addEventListener("click", action(logout));
  $("#query-form").addEventListener("submit", action(runSync));
  $("#run-async").addEventListener("click", action(runAsync));
  $("#adql").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) action(runSync)(ev);
  });
  for (const b of document.querySelectorAll(".downloads button"))
    b.addEventListener("click", action(() => download(b.dataset.format)));
  $("#page-prev").addEventListener("click", () => { result.page--; drawPage(); });
  $("#page-next").addEventListener("click", () => { result.page++; drawPage(); });
  $("#jobs-refresh").addEventListener("click", action(loadJobs));
  $("#files-refresh").addEventListener("click", action(loadFiles));
  $("#files-up").addEventListener("click", action(() => { cwd = cwd.split("/").slice(0, -1).join("/"); return loadFiles(); }));
  $("#upload-form").addEventListener("submit", action(upload));
  $("#mkdir").addEventListener("click", action(async () => {
    const name = $("#mkdir-name").value.trim();
    if (!name || name.includes("/")) throw new ApiError("Give a folder name without '/'.");
    await api("/storage/mkdir?dir=" + encodeURIComponent(vos(name)), { method: "POST" });
    $("#mkdir-name").value = "";
    loadFiles();
  }));
  $("#tables-refresh").addEventListener("click", action(loadTables));
  $("#import-form").addEventListener("submit", action(importTable));
  $("#skymap-form").addEventListener("submit", action(drawSkymap));
  // A stale token is dropped first, so that the catalog list is asked for without it.
  action(async () => { await showUser(); await loadCatalogs(); })();
});
