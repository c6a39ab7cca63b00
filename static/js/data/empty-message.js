// What to say when there is nothing to draw: why (an empty file, a Jaeger with no traces yet,
// no source at all) and what to do about it, from the scene's totals and the sources' status.
// The desktop shows it as a card, the headset as text in front of the viewer.

const EXAMPLE_FILE = "vrmon serve --replay trace.json";
const EXAMPLE_JAEGER = "vrmon serve --jaeger http://localhost:16686";

/**
 * null while there are traces (or before the first snapshot); else {title, parts}: `parts` is a
 * list of strings and {code: "..."} for commands, read in order.
 */
export function emptyMessage(system) {
  const scene = system.scene;
  if (!scene || (scene.totals?.traces ?? 0) > 0) return null;
  const statuses = [...system.sourceStatus.values()];
  const jaeger = statuses.find((status) => status.source === "jaeger");
  const files = statuses.filter((status) => status.source.startsWith("file:")).map((status) => status.source.slice(5));
  const title = "No traces yet";
  if (jaeger && jaeger.state !== "ok") {
    return { title, parts: [`Jaeger is not answering: ${jaeger.message}. vrmon keeps trying; traces appear here as soon as it answers.`] };
  }
  if (jaeger) {
    return { title, parts: [`Waiting for traces from Jaeger (${jaeger.message}). Make a few requests to your traced services; their traces appear here as they arrive.`] };
  }
  if (files.length) {
    return {
      title,
      parts: [`${files.join(", ")} ${files.length > 1 ? "hold" : "holds"} no spans. Start vrmon with a trace file that has some (Jaeger UI's “Download JSON”, OTLP JSON): `,
        { code: EXAMPLE_FILE }, ", or watch a live Jaeger: ", { code: EXAMPLE_JAEGER }, "."],
    };
  }
  return {
    title,
    parts: ["Nothing has been loaded so far. A live source shows its traces here once it answers; to open a file or watch a Jaeger, start vrmon with ",
      { code: EXAMPLE_FILE }, " or ", { code: EXAMPLE_JAEGER }, "."],
  };
}

/** The message as one plain string (for the headset). */
export function emptyMessageText(message) {
  return `${message.title}\n\n${message.parts.map((part) => (typeof part === "string" ? part : part.code)).join("")}`;
}
