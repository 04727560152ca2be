// The requests the OpenAPI fuzzer sends for one operation: valid ones generated from its
// parameter and body schemas (schema-arb.ts), and negative ones made by mutating a valid one
// (wrong types, a missing required field, lengths one past a bound, odd unicode, huge
// numbers, invalid JSON, unknown query keys, encoded path segments, no token). All of it is
// drawn from fast-check with a fixed seed, so a run is repeatable.
import fc from 'fast-check';
import { arbitraryOf, type Schema } from './schema-arb.js';
// the planner's seeded PRNG chooses the mutations (fast-check seeds the values themselves)
import { mulberry32 } from '../../src/planner/rng.js';

interface Param {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}

export interface Operation {
  method: string;
  /** as the document writes it, with {placeholders} */
  path: string;
  params: Param[];
  body?: Schema;
  bodyRequired: boolean;
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
  /** needs no token (the document's `security: []`, or no bearer scheme on it) */
  public: boolean;
}

export interface FuzzRequest {
  op: Operation;
  /** "valid" or the mutation that made it */
  kind: string;
  method: string;
  /** path and query, percent-encoded */
  url: string;
  headers: Record<string, string>;
  body?: string;
}

interface Doc {
  security?: unknown[];
  paths: Record<string, Record<string, Record<string, unknown>>>;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch']);

/** Every operation of an OpenAPI 3.0 document. */
export function operationsOf(doc: Doc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(item)) {
      if (!METHODS.has(method)) continue;
      const o = raw as {
        parameters?: Param[];
        requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
        responses?: Operation['responses'];
        security?: unknown[];
      };
      const security = o.security ?? doc.security ?? [];
      ops.push({
        method: method.toUpperCase(),
        path,
        params: o.parameters ?? [],
        ...(o.requestBody?.content?.['application/json']?.schema ? { body: o.requestBody.content['application/json'].schema } : {}),
        bodyRequired: o.requestBody?.required === true,
        responses: o.responses ?? {},
        public: security.length === 0,
      });
    }
  }
  return ops;
}

interface Parts {
  path: Record<string, unknown>;
  query: Record<string, unknown>;
  body?: unknown;
}

const paramsIn = (op: Operation, where: Param['in']) => op.params.filter((p) => p.in === where);

function partsArb(op: Operation): fc.Arbitrary<Parts> {
  const path: Record<string, fc.Arbitrary<unknown>> = {};
  for (const p of paramsIn(op, 'path')) path[p.name] = arbitraryOf(p.schema ?? { type: 'string', minLength: 1 });
  const query: Record<string, fc.Arbitrary<unknown>> = {};
  const requiredQuery: string[] = [];
  for (const p of paramsIn(op, 'query')) {
    query[p.name] = arbitraryOf(p.schema);
    if (p.required) requiredQuery.push(p.name);
  }
  return fc.record({
    path: fc.record(path),
    query: fc.record(query, { requiredKeys: requiredQuery }),
    ...(op.body ? { body: arbitraryOf(op.body) } : {}),
  });
}

const queryValue = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** encodeURIComponent, except that a lone surrogate becomes the bytes it would be in CESU-8 (invalid UTF-8: a mutation too) */
const encode = (s: string) => [...s].map((ch) => (/^[\uD800-\uDFFF]$/.test(ch) ? '%ED%A0%80' : encodeURIComponent(ch))).join('');

function build(
  op: Operation,
  kind: string,
  parts: Parts,
  token: string | undefined,
  rawBody?: string,
  rawPath?: Record<string, string>,
): FuzzRequest {
  const path = op.path.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    if (rawPath?.[name] !== undefined) return rawPath[name];
    const v = parts.path[name];
    // a wildcard (OCCI's {*}) takes slashes as they are
    return name === '*' ? String(v ?? '').replace(/^\/+/, '') : encode(queryValue(v ?? ''));
  });
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(parts.query)) {
    if (v === undefined) continue;
    if (Array.isArray(v)) for (const x of v) q.append(k, queryValue(x));
    else q.append(k, queryValue(v));
  }
  const qs = q.toString();
  const headers: Record<string, string> = {};
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  let body: string | undefined = rawBody;
  if (body === undefined && parts.body !== undefined) body = JSON.stringify(parts.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  return { op, kind, method: op.method, url: `${path}${qs ? `?${qs}` : ''}`, headers, ...(body !== undefined ? { body } : {}) };
}

const ODD_STRINGS = [
  '',
  '\u0000',
  '\uD800',
  '\u202Eevil',
  '𝕏😀👩‍👩‍👧',
  'e\u0301\u0301\u0301',
  '../../etc/passwd',
  '%00%2F',
  ' '.repeat(3),
  '\r\nX-Injected: 1',
  'ﷺ'.repeat(50),
];
const HUGE_NUMBERS = ['1e400', '-1e400', '9007199254740993', '-0', '1e-400', '123456789012345678901234567890'];
const WRONG_TYPES: unknown[] = [42, -1, 'a string', true, null, [], {}, [1, 'x'], 1.5];

type Json = Record<string, unknown>;

/** the object schemas inside a body, with the path to each (for field-level mutations) */
function objectPaths(schema: Schema | undefined, value: unknown, at: string[] = []): Array<{ at: string[]; schema: Schema }> {
  if (!schema || typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const out = [{ at, schema }];
  for (const [k, s] of Object.entries(schema.properties ?? {})) out.push(...objectPaths(s, (value as Json)[k], [...at, k]));
  return out;
}

function setAt(value: unknown, at: string[], key: string, v: unknown, remove = false): unknown {
  const copy = structuredClone(value) as Json;
  let o = copy;
  for (const k of at) o = o[k] as Json;
  if (remove) delete o[key];
  else o[key] = v;
  return copy;
}

/** A negative request made from a valid one, chosen by `pick` (a seeded source of integers). */
function mutate(op: Operation, parts: Parts, token: string | undefined, pick: (n: number) => number): FuzzRequest {
  const one = <T>(xs: readonly T[]): T => xs[pick(xs.length)]!;
  const kinds: string[] = ['unknown query key', 'no token'];
  const pathParams = paramsIn(op, 'path').filter((p) => p.name !== '*');
  if (pathParams.length) kinds.push('encoded path segment', 'path segment one past maxLength', 'odd unicode in path');
  if (paramsIn(op, 'query').length) kinds.push('query value of a wrong type', 'huge number in query');
  const objects = op.body ? objectPaths(op.body, parts.body) : [];
  if (op.body || ['POST', 'PUT', 'DELETE'].includes(op.method)) kinds.push('invalid JSON', 'body of a wrong type', 'wrong content type');
  if (objects.length) kinds.push('field of a wrong type', 'missing required field', 'odd unicode in a field', 'huge number in a field');
  if (objects.some((o) => Object.values(o.schema.properties ?? {}).some((s) => s.maxLength !== undefined)))
    kinds.push('string one past maxLength');
  const kind = one(kinds);
  const field = () => {
    const o = one(objects);
    const keys = Object.keys(o.schema.properties ?? {});
    return { o, key: keys.length ? one(keys) : 'x' };
  };
  switch (kind) {
    case 'unknown query key':
      return build(op, kind, { ...parts, query: { ...parts.query, zz_fuzz_unknown: one(ODD_STRINGS) || '1' } }, token);
    case 'no token':
      return build(op, kind, parts, undefined);
    case 'encoded path segment': {
      const p = one(pathParams);
      return build(op, kind, parts, token, undefined, {
        [p.name]: one(['%2F', '..%2F..', '%252F', '%00', '%E2%80%AE', '%ZZ', '.', '%2e%2e']),
      });
    }
    case 'path segment one past maxLength': {
      const p = one(pathParams);
      const n = (p.schema?.maxLength ?? 1000) + 1;
      return build(op, kind, parts, token, undefined, { [p.name]: encode('a'.repeat(n)) });
    }
    case 'odd unicode in path': {
      const p = one(pathParams);
      return build(op, kind, parts, token, undefined, { [p.name]: encode(one(ODD_STRINGS.filter(Boolean))) });
    }
    case 'query value of a wrong type': {
      const p = one(paramsIn(op, 'query'));
      return build(op, kind, { ...parts, query: { ...parts.query, [p.name]: one(['x', '-1', '1.5', 'true', '', '[]', '{}']) } }, token);
    }
    case 'huge number in query': {
      const p = one(paramsIn(op, 'query'));
      return build(op, kind, { ...parts, query: { ...parts.query, [p.name]: one(HUGE_NUMBERS) } }, token);
    }
    case 'invalid JSON':
      return build(op, kind, parts, token, one(['{', '{"a":', 'nul', '[1,]', '\u0000', '{"a":1}{"b":2}']));
    case 'body of a wrong type':
      return build(op, kind, parts, token, JSON.stringify(one(WRONG_TYPES)));
    case 'wrong content type': {
      const r = build(op, kind, parts, token, 'a=1&b=2');
      r.headers['content-type'] = one([
        'application/x-www-form-urlencoded',
        'text/plain',
        'application/octet-stream',
        'application/json; charset=ebcdic',
      ]);
      return r;
    }
    case 'field of a wrong type': {
      const { o, key } = field();
      return build(op, kind, { ...parts, body: setAt(parts.body, o.at, key, one(WRONG_TYPES)) }, token);
    }
    case 'missing required field': {
      const o = one(objects);
      const req = o.schema.required ?? [];
      const key = req.length ? one(req) : one(Object.keys(o.schema.properties ?? { x: 1 }));
      return build(op, kind, { ...parts, body: setAt(parts.body, o.at, key, undefined, true) }, token);
    }
    case 'odd unicode in a field': {
      const { o, key } = field();
      return build(op, kind, { ...parts, body: setAt(parts.body, o.at, key, one(ODD_STRINGS)) }, token);
    }
    case 'huge number in a field': {
      const { o, key } = field();
      // as raw JSON text: 1e400 is valid JSON but no double
      const marker = '"__fuzz_huge__"';
      const text = JSON.stringify(setAt(parts.body, o.at, key, '__fuzz_huge__')).replace(marker, one(HUGE_NUMBERS));
      return build(op, kind, parts, token, text);
    }
    case 'string one past maxLength': {
      const candidates = objects.flatMap((o) =>
        Object.entries(o.schema.properties ?? {})
          .filter(([, s]) => s.maxLength !== undefined)
          .map(([k, s]) => ({ o, k, n: s.maxLength! + 1 })),
      );
      const c = one(candidates);
      return build(op, kind, { ...parts, body: setAt(parts.body, c.o.at, c.k, 'a'.repeat(c.n)) }, token);
    }
  }
  throw new Error(`unknown mutation ${kind}`);
}

/**
 * `valid` generated requests and `negative` mutated ones for `op`, the same for the same
 * seed. A schema fast-check cannot satisfy (a filter that rejects everything) yields fewer.
 */
export function requestsFor(
  op: Operation,
  opts: { seed: number; valid: number; negative: number; token: string | undefined },
): FuzzRequest[] {
  const token = op.public ? undefined : opts.token;
  let samples: Parts[];
  try {
    samples = fc.sample(partsArb(op), { seed: opts.seed, numRuns: Math.max(opts.valid, opts.negative, 1) });
  } catch {
    samples = [{ path: {}, query: {} }];
  }
  const out: FuzzRequest[] = samples.slice(0, opts.valid).map((p) => build(op, 'valid', p, token));
  const next = mulberry32(opts.seed);
  for (let i = 0; i < opts.negative; i++) {
    const parts = samples[i % samples.length]!;
    out.push(mutate(op, parts, token ?? opts.token, (n) => Math.floor(next() * n)));
  }
  return out;
}
