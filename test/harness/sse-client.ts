import { request, type IncomingMessage } from "node:http";

export interface SseMessage {
  readonly id?: string;
  readonly event?: string;
  readonly data: string;
}

export interface EventStream {
  readonly messages: SseMessage[];
  /** Comment lines seen (heartbeats). */
  readonly comments: string[];
  /** Resolves with the response once its headers arrive. */
  readonly response: Promise<IncomingMessage>;
  /** Resolves with the first `n` messages; rejects after `timeoutMs`. */
  first(n: number, timeoutMs?: number): Promise<SseMessage[]>;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

/**
 * A Server-Sent Events reader over a real socket, parsing the stream as the
 * HTML standard says (id, event, data fields; blank line ends a message).
 */
export function openEventStream(url: string, headers: Record<string, string> = {}): EventStream {
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  let endedResolve!: () => void;
  const ended = new Promise<void>((r) => (endedResolve = r));
  const req = request(url, { headers: { accept: "text/event-stream", ...headers } });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.on("response", (res) => {
      resolve(res);
      let rest = "";
      let current: { id?: string; event?: string; data: string[] } = { data: [] };
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        const lines = (rest + chunk).split("\n");
        rest = lines.pop()!;
        for (const line of lines) {
          if (line === "") {
            if (current.data.length > 0) messages.push({ id: current.id, event: current.event, data: current.data.join("\n") });
            current = { data: [] };
          } else if (line.startsWith(":")) comments.push(line);
          else {
            const at = line.indexOf(":");
            const field = at < 0 ? line : line.slice(0, at);
            const value = at < 0 ? "" : line.slice(at + 1).replace(/^ /, "");
            if (field === "id") current.id = value;
            else if (field === "event") current.event = value;
            else if (field === "data") current.data.push(value);
          }
        }
      });
      res.on("end", endedResolve);
      res.on("close", endedResolve);
    });
    req.on("error", (err) => {
      reject(err);
      endedResolve();
    });
  });
  response.catch(() => undefined);
  req.end();
  return {
    messages,
    comments,
    response,
    ended,
    async first(n, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < n) {
        if (Date.now() > deadline) throw new Error(`${messages.length} of ${n} messages within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return messages.slice(0, n);
    },
    close: () => req.destroy(),
  };
}
