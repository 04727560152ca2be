// `osmo discover` and `osmo cloudlet pick`: what answers over mDNS on this LAN, and which
// cloudlet a device would choose for a service (src/discovery). Neither needs a core.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { discover } from '../../discovery/browse.js';
import type { Candidate } from '../../discovery/pick.js';
import { pickCloudlet } from '../../discovery/select.js';
import { baseUrl, type Found, type ServiceKind } from '../../discovery/types.js';
import { print, table } from '../common.js';

const seconds = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || n > 600) throw new InvalidArgumentError('--timeout must be a number of seconds in (0, 600]');
  return n;
};

const serviceId = (v: string): string => {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(v))
    throw new InvalidArgumentError(`--service: "${v}" is not a service id (1-128 characters of A-Z, a-z, 0-9, ".", "_", "-")`);
  return v;
};

interface DiscoverFlags {
  type?: ServiceKind;
  timeout: number;
  interface?: string;
  json?: boolean;
}

interface PickFlags {
  service: string;
  timeout: number;
  interface?: string;
  json?: boolean;
}

const txtText = (t: Record<string, string>) =>
  Object.entries(t)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');

function foundTable(list: Found[]): string {
  const rows = [['TYPE', 'NAME', 'URL', 'HOST', 'TXT']];
  for (const f of list) rows.push([f.kind, f.name, baseUrl(f, f.txt.scheme === 'https' ? 'https' : 'http') ?? '-', f.host, txtText(f.txt)]);
  return table(rows);
}

const gib = (b: number) => `${(b / 1024 ** 3).toFixed(2)} GiB`;

function candidateRow(c: Candidate): string[] {
  return [c.name, c.url, c.running ? 'yes' : 'no', c.load.toFixed(2), gib(c.freeMemory)];
}

export function register(program: Command): void {
  program
    .command('discover')
    .description('list the cloudlets (_cloudlet._tcp) and osmo agents (_osmo._tcp) that answer over mDNS on this LAN')
    .addOption(new Option('--type <type>', 'only this kind (default: both)').choices(['cloudlet', 'agent']))
    .option('--timeout <seconds>', 'how long to listen for answers', seconds, 3)
    .option('--interface <ipv4>', 'ask on the interface with this address (default: the multicast route)')
    .option('--json', 'machine-readable output')
    .action(async (f: DiscoverFlags) => {
      const found = await discover({
        kinds: f.type ? [f.type] : ['cloudlet', 'agent'],
        timeoutMs: f.timeout * 1000,
        ...(f.interface ? { interface: f.interface } : {}),
        log: (m) => process.stderr.write(`osmo discover: ${m}\n`),
      });
      print(f, found, () => (found.length ? foundTable(found) : `nothing answered within ${f.timeout} s\n`));
    });

  const cloudlet = program.command('cloudlet').description('cloudlets as a device sees them');
  cloudlet
    .command('pick')
    .description(
      'discover the cloudlets, read each one’s /api/system and pick the best for a service: one already running it, then the lowest load, then the most free memory',
    )
    .requiredOption('--service <id>', 'the service the device needs', serviceId)
    .option('--timeout <seconds>', 'how long to listen for cloudlets', seconds, 3)
    .option('--interface <ipv4>', 'ask on the interface with this address (default: the multicast route)')
    .option('--json', 'machine-readable output: {best, why, ranked, rejected}')
    .action(async (f: PickFlags) => {
      const p = await pickCloudlet({
        serviceId: f.service,
        timeoutMs: f.timeout * 1000,
        ...(f.interface ? { interface: f.interface } : {}),
        log: (m) => process.stderr.write(`osmo cloudlet pick: ${m}\n`),
      });
      print(f, { best: p.best ?? null, why: p.why ?? null, ranked: p.ranked, rejected: p.rejected }, () => {
        let out = '';
        if (p.best) out += `picked ${p.best.name} at ${p.best.url}: ${p.why}\n\n`;
        if (p.ranked.length) out += table([['CLOUDLET', 'URL', 'RUNNING', 'LOAD', 'FREE MEMORY'], ...p.ranked.map(candidateRow)]);
        for (const r of p.rejected) out += `skipped ${r.name}${r.url ? ` (${r.url})` : ''}: ${r.reason}\n`;
        return out;
      });
      if (!p.best) {
        process.stderr.write(
          `osmo: no cloudlet to run "${f.service}" on: ${p.found.length} answered within ${f.timeout} s${p.found.length ? ', none offers it' : ''}\n`,
        );
        process.exitCode = 1;
      }
    });
}
