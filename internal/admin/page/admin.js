// The wsgate admin status page: polls /api/status and renders it. The bearer
// token comes once from ?token= (then removed from the address bar) or from
// the form, and is kept in this tab's sessionStorage only.
"use strict";
(function () {
  const POLL_MS = 2000;
  const KEY = "wsgate-admin-token";
  const $ = (id) => document.getElementById(id);
  let last = null; // the previous status, for rates

  const params = new URLSearchParams(location.search);
  if (params.has("token")) {
    sessionStorage.setItem(KEY, params.get("token"));
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + (rest ? "?" + rest : "") + location.hash);
  }

  $("login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(KEY, $("token").value);
    $("token").value = "";
    poll();
  });

  function fmtInt(n) { return Number(n).toLocaleString("en-US"); }
  function fmtBytes(n) {
    const u = ["B", "KiB", "MiB", "GiB", "TiB"];
    let i = 0;
    while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
    return (i ? n.toFixed(1) : Math.round(n)) + " " + u[i];
  }
  function fmtRate(n) { return n >= 100 ? fmtInt(Math.round(n)) : n.toFixed(1); }
  function fmtDur(s) {
    s = Math.floor(s);
    const d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
    if (d) return d + "d " + h + "h";
    if (h) return h + "h " + m + "m";
    if (m) return m + "m " + (s % 60) + "s";
    return s + "s";
  }
  function cell(tr, text, cls) {
    const td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }
  function fill(id, rows, render) {
    const body = $(id).tBodies[0];
    body.replaceChildren();
    for (const r of rows) {
      const tr = document.createElement("tr");
      render(tr, r);
      body.appendChild(tr);
    }
    if (!rows.length) {
      const tr = document.createElement("tr");
      const td = cell(tr, "none", "muted");
      td.colSpan = $(id).tHead ? $(id).tHead.rows[0].cells.length : 2;
      body.appendChild(tr);
    }
  }

  function render(st) {
    $("version").textContent = st.version + " · " + st.goversion;
    const state = $("state");
    state.textContent = st.ready ? "ready" : "not ready: " + (st.not_ready || "?");
    state.className = "badge " + (st.ready ? "ok" : "bad");
    $("uptime").textContent = fmtDur(st.uptime_seconds);
    $("connections").textContent = fmtInt(st.connections);

    const dt = last ? st.uptime_seconds - last.uptime_seconds : 0;
    const rate = (now, before) => (dt > 0 && now >= before ? (now - before) / dt : 0);
    const t = st.totals, lt = last ? last.totals : t;
    $("rate-msg-in").textContent = fmtRate(rate(t.messages_in, lt.messages_in));
    $("rate-msg-out").textContent = fmtRate(rate(t.messages_out, lt.messages_out));
    $("rate-bytes-in").textContent = fmtBytes(rate(t.bytes_in, lt.bytes_in));
    $("rate-bytes-out").textContent = fmtBytes(rate(t.bytes_out, lt.bytes_out));

    fill("listeners", st.listeners, (tr, l) => {
      cell(tr, l.name);
      cell(tr, l.addr).className = "addr";
      cell(tr, l.kind);
      cell(tr, l.tls ? "yes" : "no");
      cell(tr, l.up ? "up" : "down", l.up ? "up" : "down");
      cell(tr, fmtInt(l.connections), "num");
    });
    const before = {};
    if (last) for (const a of last.applications) before[a.name] = a;
    fill("apps", st.applications, (tr, a) => {
      const b = before[a.name] || a;
      cell(tr, a.name);
      cell(tr, a.path);
      cell(tr, a.kind);
      cell(tr, fmtInt(a.connections), "num");
      cell(tr, Object.entries(a.connections_by_listener).map(([k, v]) => k + ": " + v).join(", ") || "–");
      cell(tr, fmtInt(a.messages_in), "num");
      cell(tr, fmtInt(a.messages_out), "num");
      cell(tr, fmtBytes(a.bytes_in), "num");
      cell(tr, fmtBytes(a.bytes_out), "num");
      cell(tr, fmtRate(rate(a.messages_in, b.messages_in)), "num");
      cell(tr, fmtRate(rate(a.messages_out, b.messages_out)), "num");
    });
    const errs = Object.entries(st.errors).sort((x, y) => y[1] - x[1]);
    fill("errors", errs, (tr, [k, v]) => { cell(tr, k); cell(tr, fmtInt(v), "num"); });
    const c = $("cluster");
    if (st.cluster) {
      c.textContent = st.cluster.broker + " — " + (st.cluster.connected ? "connected" : "disconnected") +
        (st.cluster.detail ? " (" + st.cluster.detail + ")" : "");
      c.className = st.cluster.connected ? "up" : "down";
    } else {
      c.textContent = "no cluster configured";
      c.className = "muted";
    }
    fill("totals", [
      ["messages in", fmtInt(t.messages_in)], ["messages out", fmtInt(t.messages_out)],
      ["bytes in", fmtBytes(t.bytes_in)], ["bytes out", fmtBytes(t.bytes_out)],
    ], (tr, [k, v]) => { cell(tr, k); cell(tr, v, "num"); });
    $("updated").textContent = "updated " + new Date().toLocaleTimeString();
    last = st;
  }

  let timer = null;
  async function poll() {
    clearTimeout(timer);
    const token = sessionStorage.getItem(KEY);
    const headers = token ? { Authorization: "Bearer " + token } : {};
    try {
      const res = await fetch("api/status", { headers, cache: "no-store" });
      if (res.status === 401 || res.status === 403) {
        $("login").hidden = false;
        $("login-error").textContent = token ? "That token was refused (" + res.status + ")." : "";
        sessionStorage.removeItem(KEY);
        return; // wait for the form
      }
      if (!res.ok) throw new Error("HTTP " + res.status);
      $("login").hidden = true;
      $("problem").hidden = true;
      render(await res.json());
    } catch (e) {
      $("problem").textContent = "Cannot reach the gateway: " + e.message;
      $("problem").hidden = false;
      $("state").textContent = "unreachable";
      $("state").className = "badge bad";
    }
    timer = setTimeout(poll, POLL_MS);
  }
  poll();
})();
