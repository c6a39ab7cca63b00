// The page's shape as the server lays scenes out for it (vrmon/layout/page_shape.py): its width
// over its height, within what the server accepts (0.05–20). The early socket (early-socket.js, a
// classic script) sends the same with the page's first request.
export const pageAspect = () => Number(Math.min(Math.max(innerWidth / (innerHeight || 1), 0.05), 20).toFixed(3));

/** The viewer socket's URL: the page's shape with it, so the first snapshot fits the page. */
export const socketUrl = () => `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws?aspect=${pageAspect()}`;
