// The event-stream framing of src/client/sse.ts: chunks split anywhere, CR/LF variants,
// comments, multi-line data, ids; readSse stops when told to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSse, SseParser, type SseMessage } from '../../../src/client/sse.js';

function parse(chunks: string[]): SseMessage[] {
  const out: SseMessage[] = [];
  const p = new SseParser((m) => out.push(m));
  for (const c of chunks) p.push(c);
  return out;
}

test('messages survive any split of the stream into chunks, and every line ending', () => {
  const text = ': osmo events\n\nid: 7\nevent: node\ndata: {"a":1}\n\r\nevent: x\r\ndata: line 1\rdata: line 2\r\n\r\n';
  const want = [
    { id: '7', event: 'node', data: '{"a":1}' },
    { id: '7', event: 'x', data: 'line 1\nline 2' },
  ];
  for (let cut = 0; cut <= text.length; cut++) assert.deepEqual(parse([text.slice(0, cut), text.slice(cut)]), want, `cut at ${cut}`);
  assert.deepEqual(parse([...text]), want, 'one character at a time');
});

test('comments and data-less blocks emit nothing; a field without a colon is an empty value', () => {
  assert.deepEqual(parse([': ping\n\nevent: lonely\n\n']), []);
  assert.deepEqual(parse(['data\n\n']), [{ id: undefined, event: undefined, data: '' }]);
  assert.deepEqual(parse(['data:no space\n\n']), [{ id: undefined, event: undefined, data: 'no space' }]);
});

test('readSse stops reading when the handler returns true, and cancels the body', async () => {
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode('data: 1\n\ndata: 2\n\ndata: 3\n\n'));
    },
    cancel() {
      cancelled = true;
    },
  });
  const seen: string[] = [];
  await readSse(body, (m) => {
    seen.push(m.data);
    return m.data === '2';
  });
  assert.deepEqual(seen, ['1', '2']);
  assert.equal(cancelled, true);
});
