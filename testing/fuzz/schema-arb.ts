// JSON Schema (the OpenAPI 3.0 dialect @fastify/swagger emits from zod) -> fast-check
// arbitrary of values the schema accepts. Test support for the OpenAPI fuzzer: it covers the
// keywords the served documents use (type, enum, const, min/max and their exclusive forms,
// lengths, pattern, format, items, properties/required/additionalProperties, anyOf/oneOf/
// allOf, nullable, default); anything else becomes "any JSON value", which the server may
// refuse, so a keyword it misses shows up as a 400 rather than as a false failure.
import fc from 'fast-check';

export type Schema = Record<string, unknown> & {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
  allOf?: Schema[];
  nullable?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
};

/** strings stay short: long ones are the mutator's job (boundary lengths) */
const STRING_CAP = 40;
const ITEMS_CAP = 4;

function numberArb(s: Schema, integer: boolean): fc.Arbitrary<number> {
  let min = s.minimum ?? -1e6;
  let max = s.maximum ?? 1e6;
  if (typeof s.exclusiveMinimum === 'number') min = Math.max(min, s.exclusiveMinimum + (integer ? 1 : 1e-6));
  else if (s.exclusiveMinimum === true) min += integer ? 1 : 1e-6;
  if (typeof s.exclusiveMaximum === 'number') max = Math.min(max, s.exclusiveMaximum - (integer ? 1 : 1e-6));
  else if (s.exclusiveMaximum === true) max -= integer ? 1 : 1e-6;
  if (integer) {
    const lo = Math.max(Math.ceil(min), Number.MIN_SAFE_INTEGER);
    const hi = Math.min(Math.floor(max), Number.MAX_SAFE_INTEGER);
    return fc.integer({ min: lo, max: Math.max(lo, hi) });
  }
  return fc.double({ min, max: Math.max(min, max), noNaN: true, noDefaultInfinity: true });
}

function stringArb(s: Schema): fc.Arbitrary<string> {
  const minLength = s.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(s.maxLength ?? STRING_CAP, minLength + STRING_CAP));
  const fits = (v: string) => v.length >= minLength && v.length <= maxLength;
  if (s.pattern !== undefined) {
    // zod's regexes come with their anchors; fast-check builds strings that match them
    return fc.stringMatching(new RegExp(s.pattern)).filter(fits);
  }
  switch (s.format) {
    case 'date-time':
      return fc.date({ min: new Date(0), max: new Date(4102444800000), noInvalidDate: true }).map((d) => d.toISOString());
    case 'uri':
      return fc.webUrl();
    case 'email':
      return fc.emailAddress();
    case 'uuid':
      return fc.uuid();
  }
  return fc.string({ minLength, maxLength, unit: 'grapheme' }).filter(fits);
}

function objectArb(s: Schema): fc.Arbitrary<Record<string, unknown>> {
  const props = s.properties ?? {};
  const required = new Set(s.required ?? []);
  const record: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [k, v] of Object.entries(props)) record[k] = arbitraryOf(v);
  const known = fc.record(record, { requiredKeys: [...required].filter((k) => k in props) });
  if (s.additionalProperties && typeof s.additionalProperties === 'object' && Object.keys(props).length === 0) {
    // a map: keys are free strings (or the schema's propertyNames, which the documents do not use)
    return fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), arbitraryOf(s.additionalProperties), { maxKeys: ITEMS_CAP });
  }
  return known;
}

/** An arbitrary of values `schema` accepts (as far as the keywords above go). */
export function arbitraryOf(schema: Schema | undefined): fc.Arbitrary<unknown> {
  if (!schema || Object.keys(schema).length === 0) return fc.jsonValue({ maxDepth: 2 });
  const inner = arbitraryOfNonNull(schema);
  return schema.nullable ? fc.option(inner, { nil: null, freq: 5 }) : inner;
}

function arbitraryOfNonNull(s: Schema): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (Array.isArray(s.enum) && s.enum.length > 0) return fc.constantFrom(...s.enum);
  const alternatives = s.anyOf ?? s.oneOf;
  if (alternatives && alternatives.length > 0) return fc.oneof(...alternatives.map((a) => arbitraryOf(a)));
  if (s.allOf && s.allOf.length > 0) {
    // the documents use allOf to wrap a single schema; merging more is beyond this mapper
    return arbitraryOf(Object.assign({}, ...s.allOf) as Schema);
  }
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  switch (type) {
    case 'string':
      return stringArb(s);
    case 'integer':
      return numberArb(s, true);
    case 'number':
      return numberArb(s, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(arbitraryOf(s.items), {
        minLength: s.minItems ?? 0,
        maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? ITEMS_CAP, (s.minItems ?? 0) + ITEMS_CAP)),
      });
    case 'object':
      return objectArb(s);
  }
  if (s.properties) return objectArb(s);
  return fc.jsonValue({ maxDepth: 2 });
}
