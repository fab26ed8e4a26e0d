/* Live119: what the caller page and the staff console share — the signalling
   socket (reconnects and asks for the state again) and WebRTC helpers.
   Protocol: docs/live119.md. No inline scripts: the CSP forbids them. */
"use strict";

window.Live119 = (function () {
  function config(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : {};
  }

  /* A WebSocket that reconnects with back-off and says hello each time, so the
     server sends the current state (the database is the truth). */
  function Signal(url, handlers) {
    this.url = url;
    this.handlers = handlers;
    this.queue = [];
    this.closed = false;
    this.delay = 500;
    this.connect();
  }
  Signal.prototype.connect = function () {
    const self = this;
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(scheme + "//" + window.location.host + self.url);
    self.ws = ws;
    ws.addEventListener("open", function () {
      self.delay = 500;
      ws.send(JSON.stringify({ type: "hello" }));
      while (self.queue.length) ws.send(self.queue.shift());
      if (self.handlers.open) self.handlers.open();
    });
    ws.addEventListener("message", function (event) {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      const handler = self.handlers[message.type];
      if (handler) handler(message);
    });
    ws.addEventListener("close", function (event) {
      if (self.handlers.close) self.handlers.close(event);
      if (self.closed || event.code === 4403 || event.code === 4404) return;
      setTimeout(function () { self.connect(); }, self.delay);
      self.delay = Math.min(self.delay * 2, 8000);
    });
  };
  Signal.prototype.send = function (message) {
    const text = JSON.stringify(message);
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
    else if (this.queue.length < 50) this.queue.push(text);
  };
  Signal.prototype.close = function () {
    this.closed = true;
    if (this.ws) this.ws.close();
  };

  /* aiortc answers once it has all candidates, so the browser sends a complete
     offer too (no trickle ICE): wait until gathering is done (at most 3 s). */
  function gathered(pc) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise(function (resolve) {
      const timer = setTimeout(resolve, 3000);
      pc.addEventListener("icegatheringstatechange", function () {
        if (pc.iceGatheringState === "complete") {
          clearTimeout(timer);
          resolve();
        }
      });
    });
  }

  function peer(iceServers) {
    return new RTCPeerConnection({ iceServers: iceServers || [] });
  }

  function text(node, value) {
    if (node) node.textContent = value;
  }

  /* A time of day (HH:MM:SS) in the site's time zone, as the server writes
     times, whatever zone the browser's machine is set to. */
  function clock(at) {
    const when = new Date(at || Date.now());
    const zone = document.documentElement.dataset.timeZone || undefined;
    try {
      return when.toLocaleTimeString("en-GB", { timeZone: zone, hour12: false });
    } catch (e) {
      return when.toLocaleTimeString("en-GB", { hour12: false });
    }
  }

  return { config: config, Signal: Signal, gathered: gathered, peer: peer, text: text, clock: clock };
})();
