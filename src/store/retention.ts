// The periodic retention job: raw samples live `rawMs` (1 h), 1-minute averages
// `minuteMs` (7 d), the event log `eventsMs` (7 d). Before raw samples are dropped they
// are folded into minutes; the watermark in kv makes the fold resume after a crash.
import type { Store } from './index.js';

export interface RetentionPolicy {
  rawMs: number;
  minuteMs: number;
  eventsMs: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { rawMs: 3_600_000, minuteMs: 7 * 86_400_000, eventsMs: 7 * 86_400_000 };

const WATERMARK = 'retention.downsampled_until';

export async function runRetention(
  store: Store,
  now = Date.now(),
  policy: RetentionPolicy = DEFAULT_RETENTION,
): Promise<{ rawDeleted: number; minuteDeleted: number; eventsDeleted: number }> {
  // the first run folds from the oldest raw sample: a store that holds more than the raw
  // window (copied, or written by a build without this job) must not lose those minutes
  const mark = await store.kv.get(WATERMARK);
  const since = mark !== undefined ? Number(mark) : ((await store.samples.oldestRaw()) ?? now - policy.rawMs - 60_000);
  // only whole minutes that are over: the current minute may still receive samples
  const until = Math.floor(now / 60_000) * 60_000;
  if (until > since) {
    await store.samples.downsample(since, until);
    await store.kv.set(WATERMARK, String(until));
  }
  const rawDeleted = await store.samples.deleteRawBefore(Math.min(now - policy.rawMs, until));
  const minuteDeleted = await store.samples.deleteMinuteBefore(now - policy.minuteMs);
  const eventsDeleted = await store.events.deleteOlderThan(now - policy.eventsMs);
  return { rawDeleted, minuteDeleted, eventsDeleted };
}

/** Starts the job on an interval; returns a stop function. */
export function scheduleRetention(store: Store, everyMs = 60_000, policy: RetentionPolicy = DEFAULT_RETENTION): () => void {
  const t = setInterval(() => {
    runRetention(store, Date.now(), policy).catch((e: unknown) => process.emitWarning(`retention job failed: ${String(e)}`));
  }, everyMs);
  t.unref();
  return () => clearInterval(t);
}
