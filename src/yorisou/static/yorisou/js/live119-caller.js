/* Live119 caller page (a phone browser, no app, no account): consent, camera and
   location permission with help when refused, preview, live video (back camera
   first, a switch), the position sent continuously with its accuracy, guidance
   videos from the dispatcher, chat, and an "end" button.
   Page data comes from <script type="application/json" id="live119-config">. */
"use strict";

(function () {
  const L = window.Live119;
  const cfg = L.config("live119-config");
  if (!cfg.ws) return;
  const $ = function (id) { return document.getElementById(id); };
  const ui = {
    consent: $("caller-consent"),
    live: $("caller-live"),
    ended: $("caller-ended"),
    start: $("caller-start"),
    preview: $("caller-preview"),
    status: $("caller-status"),
    position: $("caller-position"),
    cameraHelp: $("caller-camera-help"),
    locationHelp: $("caller-location-help"),
    retry: $("caller-retry"),
    flip: $("caller-flip"),
    end: $("caller-end"),
    guidance: $("caller-guidance"),
    guidanceVideo: $("caller-guidance-video"),
    guidanceTitle: $("caller-guidance-title"),
    guidanceClose: $("caller-guidance-close"),
    chatLog: $("caller-chat-log"),
    chatForm: $("caller-chat-form"),
    chatInput: $("caller-chat-input"),
  };
  let stream = null;
  let pc = null;
  let facing = "environment";
  let watchId = null;
  let lastSent = 0;
  let publishing = false;
  const seenChat = new Set();

  function show(part) {
    [ui.consent, ui.live, ui.ended].forEach(function (node) {
      if (node) node.hidden = node !== part;
    });
  }

  function status(message) {
    L.text(ui.status, message);
  }

  const signal = new L.Signal(cfg.ws, {
    // after hello, and after a message may have been lost ("resync": true):
    // chat lines already shown are skipped (ids), the guidance video playing
    // goes on, a call that publishes is not published again
    state: function (m) {
      (m.chat || []).forEach(addChat);
      if (m.guidance) playGuidance(m.guidance);
      if (m.ended || m.state === "closed") finish(false);
      else if (stream && !publishing) publish();
    },
    answer: function (m) {
      if (pc && m.sdp) {
        pc.setRemoteDescription({ type: "answer", sdp: m.sdp }).catch(function () {
          status(cfg.text.videoFailed);
        });
      }
    },
    chat: addChat,
    guidance: playGuidance,
    ended: function () { finish(false); },
    error: function (m) {
      status(m.message || cfg.text.error);
      if (m.code === "expired" || m.code === "closed" || m.code === "unknown") {
        finish(false);
      }
    },
    close: function () {
      publishing = false;
      if (stream) status(cfg.text.reconnecting);
    },
  });

  function addChat(m) {
    const key = m.id || (m.at + ":" + m.text);
    if (seenChat.has(key) || !ui.chatLog) return;
    seenChat.add(key);
    const line = document.createElement("p");
    line.className = "chat__line chat__line--" + (m.sender || "dispatcher");
    const who = document.createElement("strong");
    who.textContent = (m.sender === "caller" ? cfg.text.you : cfg.text.dispatcher) + ": ";
    line.appendChild(who);
    line.appendChild(document.createTextNode(m.text || ""));
    ui.chatLog.appendChild(line);
    ui.chatLog.scrollTop = ui.chatLog.scrollHeight;
  }

  function playGuidance(g) {
    if (!ui.guidance || !g || !g.url) return;
    ui.guidance.hidden = false;
    L.text(ui.guidanceTitle, g.title || "");
    if (ui.guidanceVideo.getAttribute("src") !== g.url) {
      ui.guidanceVideo.setAttribute("src", g.url);
    }
    const played = ui.guidanceVideo.play();
    if (played && played.catch) {
      played.catch(function () {
        // Sound may need a tap: play muted and let the caller unmute.
        ui.guidanceVideo.muted = true;
        ui.guidanceVideo.play().catch(function () {});
      });
    }
  }

  async function camera() {
    const constraints = {
      video: { facingMode: { ideal: facing }, width: { ideal: 640 }, height: { ideal: 480 } },
      audio: false,
    };
    return navigator.mediaDevices.getUserMedia(constraints);
  }

  async function publish() {
    if (!stream) return;
    publishing = true;
    if (pc) pc.close();
    pc = L.peer(cfg.iceServers);
    stream.getTracks().forEach(function (track) { pc.addTrack(track, stream); });
    pc.addEventListener("connectionstatechange", function () {
      if (pc.connectionState === "connected") status(cfg.text.live);
      if (pc.connectionState === "failed") {
        status(cfg.text.videoFailed);
        publishing = false;
      }
    });
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    await L.gathered(pc);
    signal.send({ type: "offer", sdp: pc.localDescription.sdp });
    status(cfg.text.connecting);
  }

  function sendPosition(p) {
    const now = Date.now();
    const c = p.coords;
    const shown = cfg.text.position
      .replace("%(lat)s", c.latitude.toFixed(5))
      .replace("%(lng)s", c.longitude.toFixed(5))
      .replace("%(accuracy)s", Math.round(c.accuracy));
    L.text(ui.position, shown);
    if (now - lastSent < 1000) return;
    lastSent = now;
    signal.send({
      type: "position",
      lat: c.latitude,
      lng: c.longitude,
      accuracy: c.accuracy,
      heading: c.heading,
      speed: c.speed,
      at: p.timestamp,
    });
  }

  function startLocation() {
    if (!("geolocation" in navigator)) {
      if (ui.locationHelp) ui.locationHelp.hidden = false;
      return;
    }
    watchId = navigator.geolocation.watchPosition(
      function (p) {
        if (ui.locationHelp) ui.locationHelp.hidden = true;
        sendPosition(p);
      },
      function (error) {
        if (error.code === error.PERMISSION_DENIED && ui.locationHelp) {
          ui.locationHelp.hidden = false;
        }
      },
      { enableHighAccuracy: true, maximumAge: 0, timeout: 20000 }
    );
  }

  async function start() {
    show(ui.live);
    status(cfg.text.asking);
    startLocation();
    try {
      stream = await camera();
      if (ui.cameraHelp) ui.cameraHelp.hidden = true;
      ui.preview.srcObject = stream;
      ui.preview.play().catch(function () {});
      await publish();
    } catch (error) {
      // A refused camera does not end the call: position and chat go on, and
      // the caller may try again (the link opens again too).
      if (ui.cameraHelp) ui.cameraHelp.hidden = false;
      status(cfg.text.noCamera);
    }
  }

  async function flip() {
    if (!stream) return;
    facing = facing === "environment" ? "user" : "environment";
    try {
      const next = await camera();
      const track = next.getVideoTracks()[0];
      if (pc) {
        const sender = pc.getSenders().find(function (s) { return s.track && s.track.kind === "video"; });
        if (sender) await sender.replaceTrack(track);
      }
      stream.getTracks().forEach(function (t) { t.stop(); });
      stream = next;
      ui.preview.srcObject = stream;
    } catch (error) {
      facing = facing === "environment" ? "user" : "environment";
    }
  }

  function finish(tell) {
    if (tell) signal.send({ type: "end" });
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    stream = null;
    if (pc) pc.close();
    pc = null;
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    watchId = null;
    show(ui.ended);
    if (tell) setTimeout(function () { signal.close(); }, 500);
  }

  if (ui.start) ui.start.addEventListener("click", start);
  if (ui.retry) ui.retry.addEventListener("click", start);
  if (ui.flip) ui.flip.addEventListener("click", flip);
  if (ui.end) {
    ui.end.addEventListener("click", function () {
      if (window.confirm(cfg.text.confirmEnd)) finish(true);
    });
  }
  if (ui.guidanceClose) {
    ui.guidanceClose.addEventListener("click", function () {
      ui.guidanceVideo.pause();
      ui.guidance.hidden = true;
    });
  }
  if (ui.chatForm) {
    ui.chatForm.addEventListener("submit", function (event) {
      event.preventDefault();
      const value = ui.chatInput.value.trim();
      if (!value) return;
      signal.send({ type: "chat", text: value });
      ui.chatInput.value = "";
    });
  }
})();
