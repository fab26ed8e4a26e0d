// Live audit feed: new events arrive over a WebSocket and are listed on top.
(() => {
  const status = document.getElementById("audit-live");
  const rows = document.getElementById("audit-rows");
  if (!status || !rows || !window.WebSocket) return;
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const connect = () => {
    const socket = new WebSocket(`${scheme}://${location.host}${status.dataset.wsPath}`);
    socket.addEventListener("open", () => { status.textContent = status.dataset.liveText || "● live"; });
    socket.addEventListener("close", () => { status.textContent = ""; setTimeout(connect, 5000); });
    socket.addEventListener("message", (message) => {
      const e = JSON.parse(message.data);
      const tr = document.createElement("tr");
      tr.className = "is-new";
      for (const text of [e.id, e.at.replace("T", " ").slice(0, 19), e.actor, e.action, e.target, "", "…"]) {
        const td = document.createElement("td");
        td.textContent = text;
        tr.appendChild(td);
      }
      rows.prepend(tr);
    });
  };
  connect();
})();
