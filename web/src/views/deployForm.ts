// Turns the deploy form's text inputs into a MEL spec, with messages that name the
// field so they can be shown next to it (the server's own checks come back the same way).
import type { MelSpec, NodeLayer } from '../api/types.js';

export interface DeployInput {
  name: string;
  image: string;
  command: string;
  ports: string;
  env: string;
  replicas: string;
  layer: '' | NodeLayer;
  preferLayer: '' | NodeLayer;
  domain: string;
  preferDomain: string;
  labels: string;
  spread: boolean;
}

export const emptyDeploy: DeployInput = {
  name: '',
  image: '',
  command: '',
  ports: '',
  env: '',
  replicas: '1',
  layer: '',
  preferLayer: '',
  domain: '',
  preferDomain: '',
  labels: '',
  spread: false,
};

export type FieldErrors = Partial<Record<keyof DeployInput | 'form', string>>;

/** Splits a command line into argv the way a shell would for plain words and quotes,
 * without running a shell: the MEL stores argv. */
export function splitArgs(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: '"' | "'" | null = null;
  let has = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < s.length) cur += s[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      has = true;
    } else if (/\s/.test(c)) {
      if (has || cur) out.push(cur);
      cur = '';
      has = false;
    } else if (c === '\\' && i + 1 < s.length) {
      cur += s[++i];
      has = true;
    } else {
      cur += c;
      has = true;
    }
  }
  if (quote) throw new Error('an opening quote has no closing quote');
  if (has || cur) out.push(cur);
  return out;
}

function pairs(s: string): string[] {
  return s
    .split(/[,\n]/)
    .map((p) => p.trim())
    .filter(Boolean);
}

export function toSpec(f: DeployInput): { spec?: MelSpec; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const name = f.name.trim();
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(name))
    errors.name = 'lower-case letters, digits and dashes, not starting or ending with a dash';
  const image = f.image.trim();
  if (!image) errors.image = 'an image is required, e.g. osmo-test/httpd:1';
  let command: string[] | undefined;
  try {
    const argv = splitArgs(f.command.trim());
    command = argv.length ? argv : undefined;
  } catch (e) {
    errors.command = (e as Error).message;
  }
  const replicas = Number(f.replicas);
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 1000) errors.replicas = 'a whole number from 0 to 1000';
  let ports: Record<string, number | null> | undefined;
  for (const p of pairs(f.ports)) {
    // "80", "80/tcp", "80:8080" or "80/tcp=8080": container port, then host port
    const m = /^(\d{1,5})(\/(tcp|udp))?(?:\s*[:=]\s*(\d{1,5}))?$/.exec(p);
    if (!m) {
      errors.ports = `"${p}" is not a port: write 80, 80/tcp or 80/tcp=8080 (container=host)`;
      break;
    }
    ports ??= {};
    ports[`${m[1]}/${m[3] ?? 'tcp'}`] = m[4] ? Number(m[4]) : null;
  }
  const env = kv(f.env, 'env', errors);
  const labels = kv(f.labels, 'labels', errors);
  if (Object.keys(errors).length) return { errors };
  const placement: MelSpec['placement'] = {};
  if (f.layer) placement.layer = f.layer;
  if (f.preferLayer) placement.preferLayer = f.preferLayer;
  if (f.domain.trim()) placement.domain = f.domain.trim();
  if (f.preferDomain.trim()) placement.preferDomain = f.preferDomain.trim();
  if (labels) placement.labels = labels;
  if (f.spread) placement.spread = true;
  const spec: MelSpec = { name, image, replicas };
  if (command) spec.command = command;
  if (ports) spec.ports = ports;
  if (env) spec.env = env;
  if (Object.keys(placement).length) spec.placement = placement;
  return { spec, errors };
}

function kv(s: string, field: 'env' | 'labels', errors: FieldErrors): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  for (const p of pairs(s)) {
    const i = p.indexOf('=');
    if (i <= 0) {
      errors[field] = `"${p}" is not KEY=VALUE`;
      return undefined;
    }
    out ??= {};
    out[p.slice(0, i).trim()] = p.slice(i + 1).trim();
  }
  return out;
}

/** Which form field a server error is about (the server names "placement.layer", "ports"…). */
export function fieldOf(path: string | undefined): keyof DeployInput | 'form' {
  if (!path) return 'form';
  const head = path
    .replace(/^body[./]?/, '')
    .split(/[./[]/)
    .filter(Boolean);
  const first = head[0];
  const last = head[head.length - 1];
  if (first === 'placement' && last && ['layer', 'preferLayer', 'domain', 'preferDomain', 'labels', 'spread'].includes(last))
    return last as keyof DeployInput;
  if (first && ['name', 'image', 'command', 'ports', 'env', 'replicas'].includes(first)) return first as keyof DeployInput;
  return 'form';
}
