// `docker logs` output of a container without a TTY is multiplexed: frames of an 8-byte header
// (stream type, 3 zero bytes, big-endian payload length) then the payload. This joins the
// payloads of stdout and stderr in arrival order.
export function demuxLogs(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= buf.length) {
    const type = buf[at]!;
    const size = buf.readUInt32BE(at + 4);
    if (type > 2 || buf[at + 1] !== 0 || buf[at + 2] !== 0 || buf[at + 3] !== 0) {
      // Not a multiplexed stream (a TTY container): the bytes are the log itself.
      return buf;
    }
    parts.push(buf.subarray(at + 8, Math.min(buf.length, at + 8 + size)));
    at += 8 + size;
  }
  return Buffer.concat(parts);
}

/** The newest `maxBytes` of a log, cut at a line start when one is near. */
export function tailBytes(buf: Buffer, maxBytes: number): string {
  if (buf.length <= maxBytes) return buf.toString('utf8');
  let cut = buf.subarray(buf.length - maxBytes);
  const nl = cut.indexOf(0x0a);
  if (nl >= 0 && nl < 4096) cut = cut.subarray(nl + 1);
  return cut.toString('utf8');
}
