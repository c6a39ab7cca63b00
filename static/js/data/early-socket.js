// The viewer's websocket, opened as the page starts: a classic script placed before A-Frame, which
// the server writes into the page (index.html's data-inline, vrmon/client_page.py) so the socket is
// made as the page is parsed, and the server lays out and sends the first snapshot while the browser
// loads the page's code. The first picture (scene/first-picture.js) is drawn from the frames that
// come early (`watch`); they wait here for the vrmon-data system, which takes the socket over
// (takeEarlySocket in vrmon-data.js) once the scene has loaded.
(() => {
  // with the page's shape (data/page-aspect.js), so the first snapshot is laid out to fit it
  const aspect = Math.min(Math.max(innerWidth / (innerHeight || 1), 0.05), 20).toFixed(3);
  const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws?aspect=${aspect}`);
  socket.binaryType = "arraybuffer";
  const early = { socket, opened: false, closed: false, frames: [], watchers: [] };
  socket.onopen = () => { early.opened = true; };
  socket.onmessage = (event) => { early.frames.push(event); for (const watcher of early.watchers) watcher(event); };
  socket.onclose = (event) => { early.closed = event; for (const watcher of early.watchers) watcher(null); };
  /** Call `watcher` with each frame that came and comes early, and with null if the socket closes. */
  early.watch = (watcher) => {
    early.watchers.push(watcher);
    for (const event of early.frames) watcher(event);
    if (early.closed) watcher(null);
  };
  /** Install the system's handlers and replay, in order, what happened before. */
  early.handOver = ({ onopen, onmessage, onclose }) => {
    early.watchers.length = 0;
    Object.assign(socket, { onopen, onmessage, onclose });
    if (early.opened) onopen();
    for (const event of early.frames.splice(0)) onmessage(event);
    if (early.closed) onclose(early.closed);
  };
  window.vrmonEarlySocket = early;
})();
