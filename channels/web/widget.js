/* dianbao 电保 — embeddable 95598 chat widget.
 * Usage: <script src="https://HOST/widget.js" data-title="在线客服" data-open="false" defer></script>
 * Everything the customer or the server writes is rendered with textContent, never innerHTML. */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector('script[src*="widget.js"]');
  var base = new URL(script && script.src ? script.src : location.href);
  var opts = {
    title: (script && script.dataset.title) || "国网电保 · 在线客服",
    server: (script && script.dataset.server) || base.origin,
    open: script && script.dataset.open === "true",
    inline: script && script.dataset.inline === "true"
  };
  var wsURL = opts.server.replace(/^http/, "ws") + "/ws/chat";
  var KEY = "dianbao.session", OUTBOX = "dianbao.outbox";

  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = opts.server + "/chat.css";
  document.head.appendChild(css);

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  function load(k, def) { try { var v = JSON.parse(localStorage.getItem(k)); return v == null ? def : v; } catch (e) { return def; } }
  function save(k, v) { try { localStorage.setItem(k, JSON.stringify(v)); } catch (e) {} }

  // ---- DOM ----
  var root = el("div", "db-root" + (opts.inline ? " db-inline" : ""));
  root.id = "dianbao-chat";
  var launcher = el("button", "db-launcher", "在线客服");
  launcher.id = "db-launcher";
  launcher.type = "button";
  launcher.setAttribute("aria-haspopup", "dialog");
  launcher.setAttribute("aria-controls", "db-panel");
  launcher.setAttribute("aria-expanded", "false");
  var panel = el("section", "db-panel");
  panel.id = "db-panel";
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", opts.title);
  panel.hidden = true;

  var header = el("header", "db-header");
  var h = el("h2", "db-title", opts.title);
  var conn = el("span", "db-conn", "连接中…");
  conn.id = "db-conn";
  conn.setAttribute("role", "status");
  var close = el("button", "db-close", "×");
  close.type = "button";
  close.setAttribute("aria-label", "关闭对话窗口");
  header.append(h, conn, close);

  var banner = el("div", "db-banner");
  banner.id = "db-queue";
  banner.setAttribute("role", "status");
  banner.setAttribute("aria-live", "polite");
  banner.hidden = true;

  var log = el("div", "db-log");
  log.id = "db-log";
  log.setAttribute("role", "log");
  log.setAttribute("aria-live", "polite");
  log.setAttribute("aria-label", "对话记录");
  log.tabIndex = 0;

  var typing = el("div", "db-typing");
  typing.id = "db-typing";
  typing.setAttribute("aria-live", "polite");
  typing.hidden = true;
  typing.append(el("span", "db-dot"), el("span", "db-dot"), el("span", "db-dot"), el("span", "db-sr", "客服正在输入"));

  var quick = el("div", "db-quick");
  quick.id = "db-quick";
  quick.setAttribute("role", "group");
  quick.setAttribute("aria-label", "快捷回复");

  var form = el("form", "db-form");
  form.id = "db-form";
  var label = el("label", "db-sr", "输入您的问题");
  label.htmlFor = "db-input";
  var input = el("textarea", "db-input");
  input.id = "db-input";
  input.rows = 1;
  input.maxLength = 2000;
  input.placeholder = "请描述您的问题，如：家里停电了";
  input.setAttribute("enterkeyhint", "send");
  var send = el("button", "db-send", "发送");
  send.id = "db-send";
  send.type = "submit";
  form.append(label, input, send);

  var newChat = el("button", "db-new", "开始新的咨询");
  newChat.type = "button";
  newChat.id = "db-new";
  newChat.hidden = true;

  panel.append(header, banner, log, typing, quick, newChat, form);
  root.append(launcher, panel);
  (document.body || document.documentElement).appendChild(root);

  // ---- state ----
  var session = load(KEY, "");
  var outbox = load(OUTBOX, []); // unacknowledged messages survive reloads and drops
  var ws = null, retry = 0, timer = null, seq = 0, ended = false, rated = false;

  function scroll() { log.scrollTop = log.scrollHeight; }

  function bubble(from, text, extra) {
    var row = el("div", "db-msg db-" + from + (extra ? " " + extra : ""));
    var who = { customer: "我", bot: "智能客服", agent: "人工客服", system: "系统消息" }[from] || "客服";
    row.append(el("span", "db-sr", who + "："));
    row.append(el("span", "db-text", text));
    log.appendChild(row);
    scroll();
    return row;
  }

  function card(title, lines, cls) {
    var c = el("div", "db-card " + (cls || ""));
    c.append(el("strong", null, title));
    lines.forEach(function (l) { if (l) c.append(el("div", null, l)); });
    log.appendChild(c);
    scroll();
  }

  function fmt(t) {
    if (!t) return "";
    var d = new Date(t);
    if (isNaN(d)) return "";
    return (d.getMonth() + 1) + "月" + d.getDate() + "日 " + String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  }

  var kinds = { repair: "故障报修", emergency: "紧急抢修", complaint: "投诉", report: "举报", suggestion: "意见建议",
    praise: "表扬", consult: "咨询", callback: "预约回电" };
  var statuses = { open: "已受理", dispatched: "已派工", on_site: "抢修人员已到达现场", resolved: "已处理", closed: "已回访归档" };

  function setQuick(choices) {
    quick.textContent = "";
    (choices || []).forEach(function (c, i) {
      var b = el("button", "db-choice", c.label);
      b.type = "button";
      b.dataset.value = c.value;
      b.addEventListener("click", function () { choose(c); });
      quick.appendChild(b);
    });
  }

  function stars(prompt) {
    var box = el("div", "db-rating");
    box.id = "db-rating";
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", prompt);
    box.append(el("div", null, prompt));
    for (var i = 1; i <= 5; i++) (function (n) {
      var b = el("button", "db-star", "★");
      b.type = "button";
      b.setAttribute("aria-label", n + "星" + ["", "（非常不满意）", "（不满意）", "（一般）", "（满意）", "（非常满意）"][n]);
      b.addEventListener("click", function () {
        rated = true;
        box.remove();
        if (ended) {
          transmit({ type: "rating", value: String(n) });
          bubble("system", "感谢您的评价（" + n + "星），祝您生活愉快！");
        } else {
          choose({ label: n + "星", value: String(n) });
        }
      });
      box.append(b);
    })(i);
    log.appendChild(box);
    scroll();
  }

  function render(ev, replay) {
    switch (ev.type) {
      case "message":
        if (ev.from === "customer") { bubble("customer", ev.text); break; }
        bubble(ev.from || "bot", ev.text);
        panel.dataset.expect = ev.expect || ""; // the slot the bot waits for (contract §3)
        if (!replay) {
          setQuick(ev.choices);
          if (ev.expect === "satisfaction" && !(ev.choices && ev.choices.length)) stars("请您为本次服务打分");
        }
        break;
      case "ticket":
        var t = ev.ticket || {};
        card("工单 " + t.id, [(kinds[t.kind] || t.kind) + " · " + (statuses[t.status] || t.status),
          t.due ? "承诺处理时限：" + fmt(t.due) + " 前" : ""], "db-ticket");
        break;
      case "outage":
        var o = ev.outage || {};
        card((o.kind === "planned" ? "计划停电" : "故障停电") + " · " + (o.area || ""),
          [o.cause ? "原因：" + o.cause : "", o.eta ? "预计恢复：" + fmt(o.eta) : ""], "db-outage");
        break;
      case "handoff":
        if (!replay) handoff(ev);
        break;
      case "resolved":
        panel.dataset.resolved = ev.how || "";
        break;
      case "end":
        panel.dataset.ended = "true";
        if (!replay) finish();
        break;
    }
  }

  function handoff(ev) {
    if (ev.status === "queued") {
      banner.hidden = false;
      var mins = Math.max(1, Math.round((ev.eta_seconds || 60) / 60));
      banner.textContent = "正在为您转接人工客服，您当前排在第" + (ev.position || 1) + "位，预计等待约" + mins + "分钟。";
    } else if (ev.status === "assigned") {
      banner.hidden = false;
      banner.textContent = "人工客服已接入，正在为您服务。";
    } else {
      banner.hidden = true;
    }
  }

  function finish() {
    ended = true;
    banner.hidden = true;
    setQuick([]);
    newChat.hidden = false;
    if (!rated) stars("本次会话已结束，请您对本次服务进行评价");
  }

  // ---- sending ----
  function transmit(frame) {
    if (ws && ws.readyState === 1) ws.send(JSON.stringify(frame));
  }
  function queueMsg(frame, shown) {
    frame.id = "c" + Date.now().toString(36) + (seq++);
    outbox.push(frame);
    save(OUTBOX, outbox);
    var b = bubble("customer", shown, "db-pending");
    b.dataset.id = frame.id;
    transmit(frame);
  }
  function choose(c) {
    setQuick([]);
    queueMsg({ type: "choice", value: c.value, text: c.value }, c.label);
  }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text) { input.focus(); return; }
    if (ended) reset();
    input.value = "";
    setQuick([]);
    queueMsg({ type: "message", text: text }, text);
    input.focus();
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
  });

  function reset() {
    delete panel.dataset.resolved;
    delete panel.dataset.ended;
    session = "";
    save(KEY, "");
    ended = false;
    rated = false;
    newChat.hidden = true;
    log.textContent = "";
    if (ws) ws.close();
  }
  newChat.addEventListener("click", function () { reset(); input.focus(); });

  // renderOutbox shows the messages still waiting for the server's acknowledgement.
  function renderOutbox() {
    outbox.forEach(function (f) {
      var b = bubble("customer", f.text || f.value, "db-pending");
      b.dataset.id = f.id;
    });
  }

  // ---- connection ----
  function status(text, ok) {
    conn.textContent = text;
    conn.className = "db-conn" + (ok ? " db-ok" : "");
  }
  function connect() {
    clearTimeout(timer);
    status("连接中…", false);
    try { ws = new WebSocket(wsURL); } catch (e) { return later(); }
    ws.onopen = function () {
      retry = 0;
      status("在线", true);
      ws.send(JSON.stringify({ type: "resume", session: session || "" }));
      outbox.forEach(function (f) { ws.send(JSON.stringify(f)); });
    };
    ws.onmessage = function (m) {
      var ev;
      try { ev = JSON.parse(m.data); } catch (e) { return; }
      switch (ev.type) {
        case "session":
          session = ev.session;
          save(KEY, session);
          if (!ev.resumed) { log.textContent = ""; ended = false; renderOutbox(); }
          break;
        case "history":
          log.textContent = "";
          (ev.events || []).forEach(function (x) { render(x, true); });
          renderOutbox();
          var last = (ev.events || []).filter(function (x) { return x.type === "message" && x.from !== "customer"; }).pop();
          if (last) setQuick(last.choices);
          var hs = (ev.events || []).filter(function (x) { return x.type === "handoff"; }).pop();
          if (hs && (hs.status === "queued" || hs.status === "assigned")) handoff(hs);
          break;
        case "ack":
          outbox = outbox.filter(function (f) { return f.id !== ev.id; });
          save(OUTBOX, outbox);
          var p = log.querySelector('[data-id="' + ev.id + '"]');
          if (p) p.classList.remove("db-pending");
          break;
        case "typing":
          typing.hidden = !ev.on;
          break;
        case "error":
          if (ev.id) {
            outbox = outbox.filter(function (f) { return f.id !== ev.id; });
            save(OUTBOX, outbox);
          }
          var n = bubble("system", ev.text, "db-error");
          n.setAttribute("role", "alert");
          break;
        default:
          typing.hidden = true;
          render(ev, false);
      }
    };
    ws.onclose = function () { ws = null; status("网络已断开，正在重新连接…", false); later(); };
    ws.onerror = function () {};
  }
  function later() {
    clearTimeout(timer);
    var wait = Math.min(10000, 500 * Math.pow(2, retry++)) + Math.random() * 300;
    timer = setTimeout(connect, wait);
  }
  window.addEventListener("online", function () { if (!ws) connect(); });

  function openPanel() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    launcher.hidden = !opts.inline && window.matchMedia("(max-width: 480px)").matches;
    if (!ws) connect();
    input.focus();
  }
  function closePanel() {
    panel.hidden = true;
    launcher.hidden = false;
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }
  launcher.addEventListener("click", function () { panel.hidden ? openPanel() : closePanel(); });
  close.addEventListener("click", closePanel);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") closePanel(); });

  window.dianbao = { open: openPanel, close: closePanel, session: function () { return session; } };
  if (opts.open || opts.inline || session) openPanel();
})();
