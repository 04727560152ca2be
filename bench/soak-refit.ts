// The soak's fits again, over the sample lines a run of bench/soak.ts printed, with another
// warm-up: where a process reaches its working size later than the run's warm-up assumed, the
// fit from the run mixes that rise with the slope after it.
//   node --import tsx bench/soak-refit.ts docs/soak-run.txt 5    (file, warm-up in minutes)
import { readFileSync } from 'node:fs';
import { TABLE_HEAD, fitRow } from './soak-stats.js';

const [file, warmArg] = process.argv.slice(2);
if (!file) throw new Error('usage: soak-refit.ts <soak output> [warm-up minutes, default 5]');
const warmup = Number(warmArg ?? 5);

/** "name value name value …" between a keyword and the next "MiB" of a sample line */
function pairs(line: string, key: string): Record<string, number> {
  const m = new RegExp(`  ${key} (.*?) MiB`).exec(line);
  const out: Record<string, number> = {};
  if (!m) return out;
  const words = m[1]!.split(' ');
  for (let i = 0; i + 1 < words.length; i += 2) out[words[i]!] = Number(words[i + 1]);
  return out;
}

const points = readFileSync(file, 'utf8')
  .split('\n')
  .filter((l) => /^\d+(\.\d+)? min {2}rss /.test(l))
  .map((l) => ({ t: Number(l.split(' ')[0]), rss: pairs(l, 'rss'), heap: pairs(l, 'heap') }))
  .filter((p) => p.t >= warmup);
console.log(`${points.length} samples from ${file}, warm-up ${warmup} min excluded from the fits\n${TABLE_HEAD}`);
for (const [what, pick] of [
  ['RSS', (p: (typeof points)[number]) => p.rss],
  ['V8 heap in use', (p: (typeof points)[number]) => p.heap],
] as const) {
  const names = Object.keys(pick(points[0] ?? { t: 0, rss: {}, heap: {} }));
  for (const k of names)
    console.log(
      fitRow(
        `${what} ${k}`,
        points.filter((p) => pick(p)[k] !== undefined).map((p) => [p.t, pick(p)[k]!]),
        'MiB',
      ),
    );
}
