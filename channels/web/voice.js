// 95598 voice widget: WebRTC call to dianbao's voice channel (/ws/voice signalling, the
// "events" data channel for captions and choices, RTCDTMFSender for the keypad).
(function () {
  "use strict";

  var $ = function (id) { return document.getElementById(id); };
  var ui = {
    status: $("status"), timer: $("timer"), level: $("level"), levelBar: $("level-bar"),
    asrMode: $("asr-mode"), captions: $("captions"), choices: $("choices"), keypad: $("keypad"),
    dial: $("dial"), mute: $("mute"), keypadToggle: $("keypad-toggle"), hangup: $("hangup"),
    audio: $("remote-audio"), lang: $("lang")
  };
  // Widget option: the caller's language, from ?lang= or data-lang (cmn | yue).
  (function () {
    var want = new URLSearchParams(location.search).get("lang") || document.body.getAttribute("data-lang");
    if (want && ui.lang && ui.lang.querySelector('option[value="' + want.replace(/[^a-z-]/g, "") + '"]')) { ui.lang.value = want; }
  })();

  var TEXT = {
    idle: "点击“拨打”开始通话",
    connecting: "正在接通，请稍候…",
    micAsk: "请允许使用麦克风，以便与客服通话",
    micDenied: "未能使用麦克风，您仍可以收听并使用拨号键盘按键操作。",
    inCall: "通话中",
    ended: "通话已结束，感谢您的来电。",
    failed: "网络连接失败，请检查网络后重新拨打。",
    serverAsr: "语音识别已开启，请直接说话。",
    serverAsrYue: "语音识别已开启（普通话识别效果最佳），请直接说话，也可以使用拨号键盘。",
    browserAsr: "当前使用浏览器语音识别，请直接说话。",
    keypadOnly: "当前无法识别语音，请使用拨号键盘按键操作。",
    convEnd: "本次服务已结束，您可以挂机。"
  };

  var state = null; // the current call, null when idle

  function setStatus(text) { ui.status.textContent = text; }

  function wsURL() {
    var path = document.body.getAttribute("data-ws") || "/ws/voice";
    var proto = location.protocol === "https:" ? "wss:" : "ws:";
    return proto + "//" + location.host + path;
  }

  function addCaption(from, text) {
    if (!text) { return; }
    var div = document.createElement("div");
    div.className = "caption " + from;
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = { bot: "客服", agent: "人工客服", system: "系统", customer: "我" }[from] || from;
    div.appendChild(who);
    div.appendChild(document.createTextNode(text));
    ui.captions.appendChild(div);
    ui.captions.scrollTop = ui.captions.scrollHeight;
  }

  function showChoices(choices) {
    ui.choices.textContent = "";
    (choices || []).forEach(function (c, i) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "choice";
      b.setAttribute("data-value", c.value);
      b.setAttribute("aria-label", c.label + "（按" + (i + 1) + "）");
      b.textContent = c.label;
      if (i < 9) {
        var hint = document.createElement("span");
        hint.className = "key-hint";
        hint.textContent = "按" + (i + 1);
        b.appendChild(hint);
      }
      b.addEventListener("click", function () {
        if (sendData({ type: "choice", value: c.value })) {
          addCaption("customer", c.label);
          showChoices([]);
        }
      });
      ui.choices.appendChild(b);
    });
  }

  function sendData(obj) {
    if (!state || !state.dc || state.dc.readyState !== "open") { return false; }
    state.dc.send(JSON.stringify(obj));
    return true;
  }

  function sendSignal(obj) {
    if (state && state.ws && state.ws.readyState === WebSocket.OPEN) { state.ws.send(JSON.stringify(obj)); }
  }

  // Contract §3 events from the bot, plus the customer's captions.
  function onEvent(ev) {
    switch (ev.type) {
      case "message":
        if (state) { state.expect = ev.expect || ""; }
        addCaption(ev.from || "bot", ev.text);
        if (ev.from !== "system" || (ev.choices && ev.choices.length)) { showChoices(ev.choices); }
        break;
      case "caption":
        addCaption("customer", ev.text);
        break;
      case "ticket":
        if (ev.ticket) { addCaption("system", "已为您登记工单，编号 " + ev.ticket.id + "。"); }
        break;
      case "handoff":
        if (ev.status === "queued") {
          addCaption("system", "正在为您转接人工客服" + (ev.position ? "，您前面还有 " + ev.position + " 位客户" : "") + "，请稍候。");
        } else if (ev.status === "assigned") {
          addCaption("system", "人工客服已接入。");
        } else if (ev.status === "returned") {
          addCaption("system", "已为您转回智能客服。");
        }
        break;
      case "outage":
        if (ev.outage) { addCaption("system", "停电信息：" + ev.outage.area + "，" + ev.outage.cause); }
        break;
      case "end":
        addCaption("system", TEXT.convEnd);
        break;
      case "error":
        addCaption("system", ev.message || "操作未成功，请重试。");
        break;
    }
  }

  // Level meter of the caller's microphone.
  function startMeter(stream) {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) { return; }
    var ctx = new Ctx();
    var src = ctx.createMediaStreamSource(stream);
    var an = ctx.createAnalyser();
    an.fftSize = 512;
    src.connect(an);
    var buf = new Float32Array(an.fftSize);
    state.audioCtx = ctx;
    (function tick() {
      if (!state || state.audioCtx !== ctx) { return; }
      an.getFloatTimeDomainData(buf);
      var sum = 0;
      for (var i = 0; i < buf.length; i++) { sum += buf[i] * buf[i]; }
      var pct = Math.min(100, Math.round(Math.sqrt(sum / buf.length) * 300));
      if (state.muted) { pct = 0; }
      ui.levelBar.style.width = pct + "%";
      ui.level.setAttribute("aria-valuenow", String(pct));
      state.raf = requestAnimationFrame(tick);
    })();
  }

  function startTimer() {
    var t0 = Date.now();
    state.timer = setInterval(function () {
      var s = Math.floor((Date.now() - t0) / 1000);
      ui.timer.textContent = String(Math.floor(s / 60)).padStart(2, "0") + ":" + String(s % 60).padStart(2, "0");
    }, 500);
  }

  // Browser speech recognition, used only when the server has no ASR.
  function startBrowserASR() {
    var SR = window.SpeechRecognition || window.webkitSpeechRecognition;
    if (!SR || !state.stream) { return false; }
    var rec = new SR();
    rec.lang = state.lang === "yue" ? "yue-Hant-HK" : "zh-CN";
    rec.continuous = true;
    rec.interimResults = false;
    rec.onresult = function (e) {
      for (var i = e.resultIndex; i < e.results.length; i++) {
        if (!e.results[i].isFinal) { continue; }
        state.asrErrors = 0;
        var text = e.results[i][0].transcript.trim();
        if (text && !state.muted && sendData({ type: "message", text: text })) { addCaption("customer", text); }
      }
    };
    rec.onerror = function (e) {
      if (!state || state.recognition !== rec) { return; }
      state.asrErrors = (state.asrErrors || 0) + 1;
      // No permission or no recognition service: give up and point to the keypad.
      if (e.error === "not-allowed" || e.error === "service-not-allowed" || e.error === "network" || state.asrErrors > 3) {
        state.recognition = null;
        ui.asrMode.textContent = TEXT.keypadOnly;
        toggleKeypad(true);
      }
    };
    rec.onend = function () {
      if (!state || state.recognition !== rec) { return; }
      setTimeout(function () {
        if (state && state.recognition === rec) { try { rec.start(); } catch (e) { /* already started */ } }
      }, 300);
    };
    try { rec.start(); } catch (e) { return false; }
    state.recognition = rec;
    return true;
  }

  function announceASR(serverASR) {
    var text = TEXT.keypadOnly;
    if (serverASR && state.stream && state.lang === "yue") {
      text = TEXT.serverAsrYue;
    } else if (serverASR && state.stream) {
      text = TEXT.serverAsr;
    } else if (startBrowserASR()) {
      text = TEXT.browserAsr;
    } else {
      toggleKeypad(true);
    }
    ui.asrMode.textContent = text;
    ui.asrMode.hidden = false;
  }

  function toggleKeypad(show) {
    if (typeof show !== "boolean") { show = ui.keypad.hidden; }
    ui.keypad.hidden = !show;
    ui.keypadToggle.setAttribute("aria-expanded", String(show));
  }

  function pressKey(key) {
    if (!state) { return; }
    if (state.dtmf && state.dtmf.canInsertDTMF !== false) {
      // RFC 4733 on the audio stream; insertDTMF replaces the tone buffer, so append.
      state.dtmf.insertDTMF(state.dtmf.toneBuffer + key, 100, 70);
    } else {
      sendData({ type: "dtmf", digit: key });
    }
  }

  async function dial() {
    if (state) { return; }
    state = { pending: [] };
    ui.captions.textContent = "";
    showChoices([]);
    ui.dial.disabled = true;
    if (ui.lang) { ui.lang.disabled = true; }
    setStatus(TEXT.micAsk);
    try {
      state.stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true }
      });
    } catch (e) {
      state.stream = null;
      addCaption("system", TEXT.micDenied);
    }
    if (!state) { return; }
    setStatus(TEXT.connecting);
    var ws = new WebSocket(wsURL());
    state.ws = ws;
    ws.onmessage = function (m) {
      var msg;
      try { msg = JSON.parse(m.data); } catch (e) { return; }
      onSignal(msg).catch(function (err) { fail(String(err)); });
    };
    ws.onclose = function () { if (state && state.ws === ws) { end(state.connected ? TEXT.ended : TEXT.failed); } };
    ws.onerror = function () { /* onclose follows */ };
  }

  async function onSignal(msg) {
    if (!state) { return; }
    switch (msg.type) {
      case "hello":
        state.serverASR = !!msg.asr;
        state.lang = ui.lang ? ui.lang.value : "cmn";
        // Our own hello tells the server the caller's options before the offer.
        sendSignal({ type: "hello", lang: state.lang });
        await startPeer(msg.iceServers || []);
        break;
      case "answer":
        await state.pc.setRemoteDescription({ type: "answer", sdp: msg.sdp });
        state.session = msg.session;
        state.pending.forEach(function (c) { state.pc.addIceCandidate(c).catch(function () {}); });
        state.pending = [];
        break;
      case "candidate":
        if (!msg.candidate) { break; }
        if (state.pc && state.pc.remoteDescription) {
          state.pc.addIceCandidate(msg.candidate).catch(function () {});
        } else {
          state.pending.push(msg.candidate);
        }
        break;
      case "hangup":
        end(TEXT.ended);
        break;
      case "error":
        addCaption("system", msg.message || "通话出现问题，请稍后重试。");
        break;
    }
  }

  async function startPeer(iceServers) {
    var pc = new RTCPeerConnection({ iceServers: iceServers });
    state.pc = pc;
    if (state.stream) {
      var track = state.stream.getAudioTracks()[0];
      var sender = pc.addTrack(track, state.stream);
      state.dtmf = sender.dtmf || null;
      startMeter(state.stream);
    } else {
      pc.addTransceiver("audio", { direction: "recvonly" });
    }
    state.dc = pc.createDataChannel("events");
    state.dc.onmessage = function (m) {
      try { onEvent(JSON.parse(m.data)); } catch (e) { /* ignore a malformed event */ }
    };
    pc.ontrack = function (e) { ui.audio.srcObject = e.streams[0] || new MediaStream([e.track]); };
    pc.onicecandidate = function (e) { if (e.candidate) { sendSignal({ type: "candidate", candidate: e.candidate.toJSON() }); } };
    pc.onconnectionstatechange = function () {
      if (!state || state.pc !== pc) { return; }
      if (pc.connectionState === "connected" && !state.connected) {
        state.connected = true;
        setStatus(TEXT.inCall);
        startTimer();
        ui.hangup.disabled = false;
        ui.mute.disabled = !state.stream;
        ui.keypadToggle.disabled = false;
        announceASR(state.serverASR);
      } else if (pc.connectionState === "failed") {
        fail(TEXT.failed);
      }
    };
    ui.hangup.disabled = false;
    var offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    sendSignal({ type: "offer", sdp: pc.localDescription.sdp });
  }

  function fail(text) { end(text); }

  function end(text) {
    if (!state) { return; }
    var s = state;
    state = null;
    sendSignalTo(s.ws, { type: "hangup" });
    if (s.recognition) { try { s.recognition.abort(); } catch (e) { /* ignore */ } }
    if (s.timer) { clearInterval(s.timer); }
    if (s.raf) { cancelAnimationFrame(s.raf); }
    if (s.audioCtx) { s.audioCtx.close(); }
    if (s.pc) { s.pc.close(); }
    if (s.ws) { s.ws.close(); }
    if (s.stream) { s.stream.getTracks().forEach(function (t) { t.stop(); }); }
    ui.levelBar.style.width = "0";
    ui.level.setAttribute("aria-valuenow", "0");
    setStatus(text);
    showChoices([]);
    toggleKeypad(false);
    ui.dial.disabled = false;
    if (ui.lang) { ui.lang.disabled = false; }
    ui.hangup.disabled = true;
    ui.mute.disabled = true;
    ui.mute.setAttribute("aria-pressed", "false");
    ui.mute.textContent = "静音";
    ui.keypadToggle.disabled = true;
  }

  function sendSignalTo(ws, obj) {
    if (ws && ws.readyState === WebSocket.OPEN) { ws.send(JSON.stringify(obj)); }
  }

  ui.dial.addEventListener("click", function () { dial().catch(function (e) { fail(String(e)); }); });
  ui.hangup.addEventListener("click", function () { end(TEXT.ended); });
  ui.mute.addEventListener("click", function () {
    if (!state || !state.stream) { return; }
    state.muted = !state.muted;
    state.stream.getAudioTracks().forEach(function (t) { t.enabled = !state.muted; });
    ui.mute.setAttribute("aria-pressed", String(state.muted));
    ui.mute.textContent = state.muted ? "取消静音" : "静音";
  });
  ui.keypadToggle.addEventListener("click", function () { toggleKeypad(); });
  ui.keypad.addEventListener("click", function (e) {
    var key = e.target.closest && e.target.closest("[data-key]");
    if (key) { pressKey(key.getAttribute("data-key")); }
  });
  setStatus(TEXT.idle);

  // For browser tests: a read-only view of the call.
  window.dianbaoVoice = {
    // stats resolves to the bot audio received so far (packets, total audio energy).
    stats: async function () {
      var out = { packets: 0, energy: 0 };
      if (!state || !state.pc) { return out; }
      (await state.pc.getStats()).forEach(function (r) {
        if (r.type === "inbound-rtp" && r.kind === "audio") {
          out.packets += r.packetsReceived || 0;
          out.energy += r.totalAudioEnergy || 0;
        }
      });
      return out;
    },
    state: function () {
      return state ? { connected: !!state.connected, session: state.session || "", serverASR: !!state.serverASR,
        browserASR: !!state.recognition, muted: !!state.muted, lang: state.lang || "",
        expect: state.expect || "", dtmf: !!(state.dtmf && state.dtmf.canInsertDTMF) } : null;
    }
  };
})();
