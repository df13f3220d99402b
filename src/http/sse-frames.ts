// Server-Sent Events framing (WHATWG HTML §9.2 "Server-sent events"): fields are `name: value`
// lines, a blank line ends a block, a line starting with `:` is a comment. Pure text in, text out.

/** An event: `id:` the event id (what the client sends back as Last-Event-ID), `event:` its type, `data:` its JSON. */
export function eventFrame(id: string, type: string, data: string): string {
  // A data value cannot hold a line break: each line of it goes in a `data:` line of its own,
  // and the client joins them with "\n" again. (The feed's documents are single-line JSON.)
  const lines = data.split(/\r\n|\r|\n/)
  return `id: ${oneLine(id)}\nevent: ${oneLine(type)}\n${lines.map((line) => `data: ${line}\n`).join('')}\n`
}

/** A comment: ignored by clients, but it keeps proxies and idle timers from closing the connection. */
export function commentFrame(text: string): string {
  return `: ${oneLine(text)}\n\n`
}

/** How long the client waits before reconnecting, in milliseconds. */
export function retryFrame(ms: number): string {
  return `retry: ${Math.max(0, Math.round(ms))}\n\n`
}

// ids and types are ours (ULIDs, dotted names); a line break in one would forge fields.
function oneLine(value: string): string {
  return value.replace(/[\r\n\0]/g, '')
}
