// The viewer's websocket, opened as the page starts: a classic script placed before A-Frame, which
// the server writes into the page (index.html's data-inline, vrmon/client_page.py) so the socket is
// made as the page is parsed, and the server lays out and sends the first snapshot while the browser
// loads and evaluates A-Frame (1.3 MB) and the modules. Frames that arrive before the scene can draw them wait here; the vrmon-data
// system takes the socket over (takeEarlySocket in vrmon-data.js) once the scene has loaded.
(() => {
  const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
  socket.binaryType = "arraybuffer";
  const early = { socket, opened: false, closed: false, frames: [] };
  socket.onopen = () => { early.opened = true; };
  socket.onmessage = (event) => { early.frames.push(event); };
  socket.onclose = (event) => { early.closed = event; };
  /** Install the system's handlers and replay, in order, what happened before. */
  early.handOver = ({ onopen, onmessage, onclose }) => {
    Object.assign(socket, { onopen, onmessage, onclose });
    if (early.opened) onopen();
    for (const event of early.frames.splice(0)) onmessage(event);
    if (early.closed) onclose(early.closed);
  };
  window.vrmonEarlySocket = early;
})();
