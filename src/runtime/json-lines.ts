// The engine streams pull progress and events as JSON objects separated by newlines, split
// across chunks at arbitrary points. This reassembles them; a malformed line is skipped, not fatal.
export function onJsonLines(stream: NodeJS.ReadableStream, onObject: (o: unknown) => void): void {
  let buf = '';
  stream.on('data', (chunk: Buffer | string) => {
    buf += chunk.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        continue;
      }
      onObject(parsed);
    }
  });
}
