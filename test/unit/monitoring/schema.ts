// Validators for each definition of the OCCI 1.2 JSON rendering schema (GFD.226), compiled
// with ajv's draft-04 build. The schema's top level accepts almost anything, so renderings
// are checked against the definition they claim to be.
import { readFileSync } from 'node:fs';
import AjvModule from 'ajv-draft-04';
import type { ValidateFunction } from 'ajv';

const raw = readFileSync(new URL('./fixtures/occi-1.2-json-schema.json', import.meta.url), 'utf8');
// The published schema writes "#definitions/x" where it means the pointer "#/definitions/x".
const schema = JSON.parse(raw.replaceAll('"#definitions/', '"#/definitions/')) as { id: string };

// ajv-draft-04 is CommonJS: under NodeNext its default export is the module object.
const Ajv = AjvModule.default;
const ajv = new Ajv({ allErrors: true, strict: false });
ajv.addSchema(schema);

export type Definition =
  | 'resource'
  | 'link'
  | 'kind'
  | 'mixin'
  | 'action'
  | 'action_invocation'
  | 'attributes'
  | 'resource_collection'
  | 'link_collection'
  | 'kind_collection'
  | 'mixin_collection'
  | 'action_collection'
  | 'model';

const cache = new Map<Definition, ValidateFunction>();

/** Returns the ajv errors of `value` against a definition, or an empty list when it is valid. */
export function schemaErrors(def: Definition, value: unknown): string[] {
  let v = cache.get(def);
  if (!v) {
    v = ajv.getSchema(`${schema.id}#/definitions/${def}`);
    if (!v) throw new Error(`no definition ${def} in the OCCI schema`);
    cache.set(def, v);
  }
  return v(value) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
