// Durations as the SLA documents write them: ISO 8601 (`P1D`, `PT10S`, `P1DT2H30M`) in
// business values and penalty validity, plain seconds in term policies. Years and months have
// no fixed length; they count as 365 and 30 days, which is what a penalty window needs.
import { ISO_DURATION } from '../model/mel.js';
import { invalid } from '../shared/errors.js';

// one pattern for every duration osmo reads (model/mel.ts validates MEL durations with it)
const ISO = ISO_DURATION;

const SECOND = 1000;
const DAY = 86_400 * SECOND;
const UNIT_MS = [365 * DAY, 30 * DAY, 7 * DAY, DAY, 3600 * SECOND, 60 * SECOND, SECOND];

/**
 * Milliseconds of an ISO 8601 duration or a number of seconds (also as a numeric string).
 * Throws an `invalid` OsmoError naming the text for anything else, or for zero.
 */
export function durationMs(d: string | number): number {
  if (typeof d === 'number') return positive(d * SECOND, String(d));
  const text = d.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return positive(Number(text) * SECOND, text);
  const m = ISO.exec(text);
  if (!m) throw invalid(`"${d}" is not a duration (ISO 8601 like P1D or PT30S, or seconds)`);
  let ms = 0;
  for (let i = 0; i < UNIT_MS.length; i++) {
    const part = m[i + 1];
    if (part !== undefined) ms += Number(part) * UNIT_MS[i]!;
  }
  return positive(ms, text);
}

function positive(ms: number, text: string): number {
  if (!Number.isFinite(ms) || ms <= 0) throw invalid(`duration "${text}" must be positive`);
  return Math.round(ms);
}
