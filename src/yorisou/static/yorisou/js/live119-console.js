/* Live119 staff console: every element with [data-live119-incident] is one
   incident panel (several may sit side by side): live video from the caller, the
   position on a map with its accuracy circle and track (Leaflet when a tile
   server is configured; coordinates and accuracy always), chat, and — for
   dispatchers — guidance videos, recording, snapshots and ending the session.
   Panel data comes from <script type="application/json" id="…">. */
"use strict";

(function () {
  const L = window.Live119;

  /* The list of SMS links of the incident page, fetched again from its own URL
     (the server renders the same include as the page). Not htmx: its swap copies
     the old elements' style attributes (of elements with an id) onto the new ones
     with setAttribute, which the CSP (style-src 'self') refuses as inline style
     whenever something (an autofill or password-manager extension, say) styled
     such an element; and the app's htmx:afterSwap handler moves the focus to the
     target, which a redraw nobody asked for must not do. Only the list's items
     are replaced: the form for a new link keeps what is being typed, and a focused
     "Withdraw" button is focused again in the new list (or the list, when that
     link has been withdrawn). */
  let invitesAsked = 0;

  function refreshInvites() {
    const list = document.querySelector("[data-live119-invites]");
    if (!list) return;
    const asked = ++invitesAsked;
    fetch(list.dataset.live119Invites, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) {
        // signed out (redirected to the login page) or refused: keep the list
        return response.ok && !response.redirected ? response.text() : null;
      })
      .then(function (html) {
        // an answer overtaken by a later event's request is dropped
        if (html !== null && asked === invitesAsked) swapInvites(list, html);
      })
      .catch(function () {});
  }

  function swapInvites(list, html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    const fresh = template.content.querySelector("[data-live119-invites]");
    if (!fresh || !list.isConnected) return;
    const active = document.activeElement;
    const inside = active && active !== list && list.contains(active);
    const form = inside ? active.closest("form") : null;
    const action = form ? form.getAttribute("action") : null;
    list.replaceChildren.apply(list, Array.from(fresh.childNodes));
    if (!inside) return;
    const same = action && Array.from(list.querySelectorAll("form")).find(function (f) {
      return f.getAttribute("action") === action;
    });
    const button = same && same.querySelector("button");
    if (button) {
      button.focus();
    } else {
      // that link's button is gone (withdrawn): the list keeps the focus
      list.tabIndex = -1;
      list.focus();
    }
  }

  function Panel(root) {
    this.root = root;
    this.cfg = L.config(root.dataset.config);
    this.q = function (name) { return root.querySelector("[data-part='" + name + "']"); };
    this.video = this.q("video");
    this.track = [];
    this.seenChat = new Set();
    this.pc = null;
    this.map = null;
    this.marker = null;
    this.circle = null;
    this.line = null;
    const self = this;
    this.signal = new L.Signal(this.cfg.ws, {
      open: function () { self.subscribe(); },
      // after hello, and unasked after a message may have been lost ("resync":
      // true): the state replaces what it covers, chat lines already shown are
      // skipped (their ids)
      state: function (m) { self.state(m); },
      answer: function (m) {
        if (self.pc && m.sdp) self.pc.setRemoteDescription({ type: "answer", sdp: m.sdp }).catch(function () {});
      },
      position: function (m) { self.position(m, true); },
      chat: function (m) { self.chat(m); },
      guidance: function (m) { L.text(self.q("guidance-now"), m.title || ""); },
      recording: function (m) { self.recording(m.on); },
      presence: function (m) { self.presence(m); },
      ended: function () { self.ended(); },
      // a link was sent, opened or withdrawn (by this or another dispatcher):
      // redraw the list of links where the page shows one; the video goes on
      invites: function () { refreshInvites(); },
      error: function (m) { L.text(self.q("status"), m.message || ""); },
    });
    this.bind();
    this.initMap();
  }

  Panel.prototype.bind = function () {
    const self = this;
    const chatForm = this.q("chat-form");
    if (chatForm) {
      chatForm.addEventListener("submit", function (event) {
        event.preventDefault();
        const input = self.q("chat-input");
        const value = input.value.trim();
        if (!value) return;
        self.signal.send({ type: "chat", text: value });
        input.value = "";
      });
    }
    const guidanceForm = this.q("guidance-form");
    if (guidanceForm) {
      guidanceForm.addEventListener("submit", function (event) {
        event.preventDefault();
        const choice = self.q("guidance-select").value;
        if (choice) self.signal.send({ type: "guidance", video: Number(choice) });
      });
    }
    const rec = this.q("record");
    if (rec) {
      rec.addEventListener("click", function () {
        self.signal.send({ type: "recording", action: rec.getAttribute("aria-pressed") === "true" ? "stop" : "start" });
      });
    }
    const snap = this.q("snapshot");
    if (snap) snap.addEventListener("click", function () { self.snapshot(); });
    const end = this.q("end");
    if (end) {
      end.addEventListener("click", function () {
        if (window.confirm(self.cfg.text.confirmEnd)) self.signal.send({ type: "end" });
      });
    }
  };

  Panel.prototype.subscribe = async function () {
    if (this.pc) this.pc.close();
    const pc = L.peer(this.cfg.iceServers);
    this.pc = pc;
    const self = this;
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    const stream = new MediaStream();
    pc.addEventListener("track", function (event) {
      stream.addTrack(event.track);
      self.video.srcObject = stream;
      self.video.play().catch(function () {});
    });
    pc.addEventListener("connectionstatechange", function () {
      L.text(self.q("video-status"), self.cfg.text["pc_" + pc.connectionState] || "");
    });
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    await L.gathered(pc);
    this.signal.send({ type: "offer", sdp: pc.localDescription.sdp });
  };

  Panel.prototype.state = function (m) {
    const self = this;
    (m.chat || []).forEach(function (c) { self.chat(c); });
    this.track = [];
    (m.track || []).forEach(function (p) { self.position(p, false); });
    if (m.position) this.position(m.position, true);
    this.recording(Boolean(m.recording));
    if (m.guidance) L.text(this.q("guidance-now"), m.guidance.title || "");
    this.presence(m);
    if (m.state === "closed" || m.ended) this.ended();
  };

  Panel.prototype.presence = function (m) {
    L.text(this.q("caller"), m.caller_connected ? this.cfg.text.callerOn : this.cfg.text.callerOff);
  };

  Panel.prototype.position = function (p, latest) {
    if (typeof p.lat !== "number" || typeof p.lng !== "number") return;
    this.track.push([p.lat, p.lng]);
    if (!latest) return;
    L.text(this.q("lat"), p.lat.toFixed(6));
    L.text(this.q("lng"), p.lng.toFixed(6));
    L.text(this.q("accuracy"), p.accuracy != null ? Math.round(p.accuracy) + " m" : "—");
    L.text(this.q("position-at"), L.clock(p.at));
    const link = this.q("map-link");
    if (link) link.href = "geo:" + p.lat + "," + p.lng;
    if (!this.map) return;
    const at = [p.lat, p.lng];
    if (!this.marker) {
      this.marker = window.L.marker(at).addTo(this.map);
      this.circle = window.L.circle(at, { radius: p.accuracy || 0 }).addTo(this.map);
      this.line = window.L.polyline(this.track, { weight: 3 }).addTo(this.map);
      this.map.setView(at, 17);
    } else {
      this.marker.setLatLng(at);
      this.circle.setLatLng(at).setRadius(p.accuracy || 0);
      this.line.setLatLngs(this.track);
      this.map.panTo(at);
    }
  };

  Panel.prototype.initMap = function () {
    const node = this.q("map");
    if (!node || !this.cfg.tileUrl || !window.L || !window.L.map) {
      if (node) node.hidden = true;
      return;
    }
    this.map = window.L.map(node, { zoomControl: true }).setView([32.8031, 130.7079], 12);
    window.L.tileLayer(this.cfg.tileUrl, { attribution: this.cfg.tileAttribution || "", maxZoom: 19 }).addTo(this.map);
  };

  Panel.prototype.chat = function (m) {
    const key = m.id || (m.at + ":" + m.text);
    const log = this.q("chat-log");
    if (this.seenChat.has(key) || !log) return;
    this.seenChat.add(key);
    const line = document.createElement("p");
    line.className = "chat__line chat__line--" + (m.sender || "dispatcher");
    const who = document.createElement("strong");
    who.textContent = (this.cfg.text["sender_" + m.sender] || m.sender || "") + ": ";
    line.appendChild(who);
    line.appendChild(document.createTextNode(m.text || ""));
    log.appendChild(line);
    log.scrollTop = log.scrollHeight;
  };

  Panel.prototype.recording = function (on) {
    const rec = this.q("record");
    if (!rec) return;
    rec.setAttribute("aria-pressed", on ? "true" : "false");
    rec.textContent = on ? this.cfg.text.stopRecording : this.cfg.text.startRecording;
  };

  Panel.prototype.snapshot = function () {
    if (!this.video || !this.video.videoWidth) return;
    const canvas = document.createElement("canvas");
    canvas.width = this.video.videoWidth;
    canvas.height = this.video.videoHeight;
    canvas.getContext("2d").drawImage(this.video, 0, 0);
    this.signal.send({ type: "snapshot", image: canvas.toDataURL("image/jpeg", 0.85) });
    L.text(this.q("status"), this.cfg.text.snapshotTaken);
  };

  Panel.prototype.ended = function () {
    L.text(this.q("status"), this.cfg.text.ended);
    this.root.classList.add("is-ended");
  };

  document.querySelectorAll("[data-live119-incident]").forEach(function (root) {
    root.live119 = new Panel(root);
  });
})();
