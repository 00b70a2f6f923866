/* dianbao agent console. Customer text is untrusted: it is only ever set with textContent. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }
  var PRIO = { emergency: "紧急", high: "优先", normal: "普通" };
  var REASON = { request: "客户要求人工", not_understood: "机器人未能理解", agitation: "客户情绪激动", emergency: "紧急隐患",
    verify_failed: "身份核验未通过", callback: "预约回电" };
  var DISP = { resolved: "已解决", ticket_created: "已派单", callback: "约定回电", transferred: "已转办", no_response: "客户无应答",
    abusive: "恶意骚扰", other: "其他" };
  var SLOT = { address: "地址", phone: "电话", name: "姓名", account: "户号", scope: "停电范围", detail: "问题描述",
    breaker: "空开/漏保", fuse: "保险丝", prepaid: "预付费表", restored: "自查后来电" };
  var TSTATUS = { open: "已受理", dispatched: "已派工", on_site: "已到现场", resolved: "已处理", closed: "已回访归档" };
  var HOW = { self_service: "客户自助解决", info: "已告知信息", ticket: "已登记工单", agent: "人工解决" };
  var SCOPE = { self: "仅本户", building: "整栋楼/单元", area: "片区/小区" };
  var HSTATUS = { queued: "排队中", assigned: "坐席已接入", returned: "已转回机器人", ended: "已结束" };
  var WHO = { customer: "客户", bot: "机器人", agent: "坐席", system: "系统" };
  var KIND = { repair: "故障报修", emergency: "紧急抢修", complaint: "投诉", report: "举报", suggestion: "建议", praise: "表扬",
    consult: "咨询", callback: "回电" };

  var ws, retry = 0, me = null, queue = [], sessions = {}, current = null, canned = [];
  var answering = {}; // sessions whose 接听 was clicked: join their audio when accepted
  var call = null;    // the agent's voice leg: {session, pc, ws, stream, audio}

  // Voice: the agent's browser joins a caller's phone call over WebRTC; the server
  // forwards Opus both ways and the bot stays silent until the call is returned.
  async function joinVoice(id) {
    if (call) leaveVoice();
    var c = { session: id, pending: [] };
    call = c;
    renderCall();
    try {
      c.stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: true, noiseSuppression: true } });
    } catch (e) {
      c.stream = null;
      alertMsg("未能使用麦克风：客户听不到您的声音，请检查麦克风权限。");
    }
    if (call !== c) { if (c.stream) c.stream.getTracks().forEach(function (t) { t.stop(); }); return; }
    c.ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/ws/agent/voice?session=" + encodeURIComponent(id));
    c.ws.onmessage = function (m) {
      var msg;
      try { msg = JSON.parse(m.data); } catch (e) { return; }
      onVoiceSignal(c, msg).catch(function (err) { alertMsg("语音接入失败：" + err); leaveVoice(); });
    };
    c.ws.onclose = function () { if (call === c) { leaveVoice(); alertMsg("语音通话已断开。"); } };
  }

  async function onVoiceSignal(c, msg) {
    if (call !== c) return;
    if (msg.type === "hello") {
      var pc = new RTCPeerConnection({ iceServers: msg.iceServers || [] });
      c.pc = pc;
      if (c.stream) pc.addTrack(c.stream.getAudioTracks()[0], c.stream);
      else pc.addTransceiver("audio", { direction: "recvonly" });
      pc.ontrack = function (e) {
        c.audio = c.audio || document.createElement("audio");
        c.audio.autoplay = true;
        c.audio.srcObject = e.streams[0] || new MediaStream([e.track]);
        c.audio.play().catch(function () {});
      };
      pc.onicecandidate = function (e) { if (e.candidate && c.ws.readyState === 1) c.ws.send(JSON.stringify({ type: "candidate", candidate: e.candidate.toJSON() })); };
      pc.onconnectionstatechange = function () {
        if (call !== c) return;
        c.connected = pc.connectionState === "connected";
        if (pc.connectionState === "failed") { alertMsg("语音网络连接失败。"); leaveVoice(); return; }
        renderCall();
      };
      var offer = await pc.createOffer();
      await pc.setLocalDescription(offer);
      c.ws.send(JSON.stringify({ type: "offer", sdp: pc.localDescription.sdp }));
    } else if (msg.type === "answer") {
      await c.pc.setRemoteDescription({ type: "answer", sdp: msg.sdp });
      c.pending.forEach(function (x) { c.pc.addIceCandidate(x).catch(function () {}); });
      c.pending = [];
    } else if (msg.type === "candidate" && msg.candidate) {
      if (c.pc && c.pc.remoteDescription) c.pc.addIceCandidate(msg.candidate).catch(function () {});
      else c.pending.push(msg.candidate);
    } else if (msg.type === "hangup") {
      leaveVoice();
      alertMsg("客户已挂机。");
    } else if (msg.type === "error") {
      alertMsg(msg.message || "语音接入失败。");
    }
  }

  function leaveVoice() {
    var c = call;
    if (!c) return;
    call = null;
    if (c.ws && c.ws.readyState === 1) c.ws.send(JSON.stringify({ type: "hangup" }));
    if (c.ws) c.ws.close();
    if (c.pc) c.pc.close();
    if (c.stream) c.stream.getTracks().forEach(function (t) { t.stop(); });
    if (c.audio) c.audio.srcObject = null;
    renderCall();
  }

  function renderCall() {
    var box = $("voice-call");
    if (!box) return;
    box.hidden = !call || call.session !== current;
    $("voice-state").textContent = !call ? "" : (call.connected ? "📞 语音通话中" : "📞 正在接通语音…");
    var join = $("voice-join");
    var s = current && sessions[current];
    join.hidden = !!call || !s || !s.voice || !!s.closed;
  }

  function alertMsg(text) {
    var a = $("alert");
    a.textContent = text;
    a.hidden = !text;
    if (text) setTimeout(function () { if (a.textContent === text) a.hidden = true; }, 6000);
  }
  function send(obj) {
    if (ws && ws.readyState === 1) ws.send(JSON.stringify(obj));
    else alertMsg("连接已断开，正在重连，请稍后再试。");
  }
  function hhmm(t) {
    var d = t ? new Date(t) : new Date();
    return String(d.getHours()).padStart(2, "0") + ":" + String(d.getMinutes()).padStart(2, "0");
  }
  function waited(t) {
    var s = Math.max(0, Math.round((Date.now() - new Date(t)) / 1000));
    return s < 60 ? s + "秒" : Math.floor(s / 60) + "分" + (s % 60) + "秒";
  }

  function renderQueue() {
    var ul = $("queue");
    ul.textContent = "";
    $("queue-count").textContent = String(queue.length);
    queue.forEach(function (e) {
      var li = el("li");
      li.dataset.session = e.session;
      var head = el("div");
      if (e.voice) head.append(el("span", "voice-tag", "📞 语音"));
      head.append(el("span", "prio prio-" + e.priority, PRIO[e.priority] || e.priority));
      head.append(el("span", "meta", "第" + e.position + "位 · 已等待" + waited(e.enqueued) + " · " + (REASON[e.reason] || e.reason || "转人工")));
      var b = el("button", "accept", e.voice ? "接听" : "接入");
      b.type = "button";
      b.setAttribute("aria-label", (e.voice ? "接听语音通话 " : "接入会话 ") + e.session);
      b.addEventListener("click", function () {
        if (e.voice) answering[e.session] = true;
        send({ type: "accept", session: e.session });
      });
      li.append(head, b, el("div", "summary", e.summary || "（无摘要）"));
      ul.append(li);
    });
  }
  setInterval(renderQueue, 5000);

  function renderHeld() {
    var ul = $("held");
    ul.textContent = "";
    Object.keys(sessions).forEach(function (id) {
      var li = el("li");
      var b = el("button", null, "会话 " + id.slice(0, 8) + (sessions[id].closed ? "（已结束）" : ""));
      b.type = "button";
      b.addEventListener("click", function () { show(id); });
      li.append(b);
      ul.append(li);
    });
  }

  function line(ev) {
    if (ev.type === "message") {
      var d = el("div", "line from-" + (ev.from || "bot"));
      d.append(el("time", null, hhmm(ev.time)), el("span", "who", (WHO[ev.from] || ev.from) + "："), el("span", "text", ev.text));
      return d;
    }
    var text = null;
    if (ev.type === "ticket" && ev.ticket) text = "工单 " + ev.ticket.id + "（" + (KIND[ev.ticket.kind] || ev.ticket.kind) + "，" + (TSTATUS[ev.ticket.status] || ev.ticket.status) + "）";
    if (ev.type === "handoff") text = "转人工：" + (HSTATUS[ev.status] || ev.status) + (ev.reason ? "（" + (REASON[ev.reason] || ev.reason) + "）" : "");
    if (ev.type === "outage" && ev.outage) text = "停电信息：" + ev.outage.area + " " + (ev.outage.cause || "");
    if (ev.type === "resolved") text = "需求已满足（" + (HOW[ev.how] || ev.how) + "）";
    if (ev.type === "end") text = "会话结束";
    if (!text) return null;
    var s = el("div", "line from-system");
    s.append(el("time", null, hhmm(ev.time)), el("span", null, text));
    return s;
  }

  function show(id) {
    current = id;
    var s = sessions[id];
    $("empty").hidden = true;
    $("session").hidden = false;
    $("session-id").textContent = id;
    var tr = $("transcript");
    tr.textContent = "";
    s.transcript.forEach(function (ev) { var l = line(ev); if (l) tr.append(l); });
    tr.scrollTop = tr.scrollHeight;
    var dl = $("slots");
    dl.textContent = "";
    Object.keys(s.slots || {}).forEach(function (k) {
      var v = k === "scope" ? (SCOPE[s.slots[k]] || s.slots[k]) : s.slots[k];
      dl.append(el("dt", null, SLOT[k] || k), el("dd", null, v));
    });
    if (!dl.children.length) dl.append(el("dt", null, "—"), el("dd", null, "暂无"));
    var tk = $("tickets");
    tk.textContent = "";
    (s.tickets || []).forEach(function (t) {
      var f = t.fields || {};
      tk.append(el("li", null, t.id + " · " + (KIND[t.kind] || t.kind) + " · " + (TSTATUS[t.status] || t.status) + (f.address ? " · " + f.address : "")));
    });
    if (!tk.children.length) tk.append(el("li", null, "暂无工单"));
    var nl = $("notes");
    nl.textContent = "";
    (s.notes || []).forEach(function (n) { nl.append(el("li", null, hhmm(n.time) + " " + n.agent + "：" + n.text)); });
    var closed = !!s.closed;
    ["send", "return", "end", "reply", "disposition", "add-note", "note"].forEach(function (x) { $(x).disabled = closed; });
    $("session-voice").hidden = !s.voice;
    renderCall();
  }

  function onMessage(m) {
    var ev;
    try { ev = JSON.parse(m.data); } catch (e) { return; }
    switch (ev.type) {
      case "hello":
        me = ev.agent;
        $("me").textContent = me.name + "（" + me.id + "）";
        canned = ev.canned || [];
        var cl = $("canned");
        cl.textContent = "";
        canned.forEach(function (c) {
          var b = el("button", null, c.title);
          b.type = "button";
          b.title = c.text;
          b.addEventListener("click", function () { $("reply").value = c.text; $("reply").focus(); });
          var li = el("li");
          li.append(b);
          cl.append(li);
        });
        var ds = $("disposition");
        ds.textContent = "";
        (ev.dispositions || []).forEach(function (d) { var o = el("option", null, DISP[d] || d); o.value = d; ds.append(o); });
        break;
      case "queue":
        queue = ev.entries || [];
        renderQueue();
        break;
      case "agents":
        var ul = $("agents");
        ul.textContent = "";
        (ev.agents || []).forEach(function (a) {
          ul.append(el("li", "st-" + a.status, a.name + " · " + ({ online: "在线", busy: "忙碌", away: "离开", offline: "离线" }[a.status] || a.status)));
          if (me && a.id === me.id && a.status !== "offline") $("presence").value = a.status;
        });
        break;
      case "session":
        sessions[ev.session] = ev;
        renderHeld();
        show(ev.session);
        $("reply").focus();
        if (ev.voice && answering[ev.session]) {
          delete answering[ev.session];
          joinVoice(ev.session);
        }
        break;
      case "event":
        var s = sessions[ev.session];
        if (!s) break;
        // The session view and the live stream may both carry the events of the accept.
        var key = JSON.stringify(ev.event);
        if (s.transcript.some(function (x) { return JSON.stringify(x) === key; })) break;
        s.transcript.push(ev.event);
        if (ev.event.type === "ticket" && ev.event.ticket) s.tickets.push(ev.event.ticket);
        if (current === ev.session) {
          var l = line(ev.event);
          if (l) { $("transcript").append(l); $("transcript").scrollTop = $("transcript").scrollHeight; }
          if (ev.event.type === "ticket") show(ev.session);
        }
        break;
      case "note":
        if (sessions[ev.session]) {
          sessions[ev.session].notes.push(ev.note);
          if (current === ev.session) show(ev.session);
        }
        break;
      case "released":
        if (call && call.session === ev.session) leaveVoice();
        if (sessions[ev.session]) {
          sessions[ev.session].closed = true;
          renderHeld();
          if (current === ev.session) show(ev.session);
        }
        alertMsg(ev.how === "returned" ? "会话已转回机器人。" : "会话已结束。");
        break;
      case "error":
        if (ev.session) delete answering[ev.session];
        alertMsg(ev.text);
        break;
    }
  }

  function connect() {
    $("conn").textContent = "连接中…";
    ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/ws/agent");
    ws.onopen = function () { retry = 0; $("conn").textContent = "已连接"; };
    ws.onmessage = onMessage;
    ws.onclose = function (e) {
      $("conn").textContent = "已断开，正在重连…";
      setTimeout(function () {
        fetch("/agent", { redirect: "manual", credentials: "same-origin" }).then(function (r) {
          if (r.type === "opaqueredirect" || r.status === 303) location.href = "/agent/login";
          else connect();
        }).catch(connect);
      }, Math.min(10000, 500 * Math.pow(2, retry++)));
    };
  }

  $("reply-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var t = $("reply").value.trim();
    if (!t || !current) return;
    send({ type: "reply", session: current, text: t });
    $("reply").value = "";
  });
  $("reply").addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); $("reply-form").requestSubmit(); }
  });
  $("return").addEventListener("click", function () { if (current) send({ type: "return", session: current }); });
  $("end").addEventListener("click", function () { if (current) send({ type: "end", session: current, disposition: $("disposition").value }); });
  $("note-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var t = $("note").value.trim();
    if (!t || !current) return;
    send({ type: "note", session: current, text: t });
    $("note").value = "";
  });
  $("voice-join").addEventListener("click", function () { if (current) joinVoice(current); });
  $("voice-leave").addEventListener("click", function () { leaveVoice(); });
  // For browser tests: the agent's voice leg, and the audio it receives.
  window.dianbaoAgentVoice = {
    state: function () { return call ? { session: call.session, connected: !!call.connected } : null; },
    stats: async function () {
      var out = { packets: 0, energy: 0 };
      if (!call || !call.pc) return out;
      (await call.pc.getStats()).forEach(function (r) {
        if (r.type === "inbound-rtp" && r.kind === "audio") { out.packets += r.packetsReceived || 0; out.energy += r.totalAudioEnergy || 0; }
      });
      return out;
    }
  };
  $("presence").addEventListener("change", function () { send({ type: "status", status: $("presence").value }); });
  connect();
})();
