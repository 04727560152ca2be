// The OCCI Core category types (GFD.221) as plain data: Kind, Mixin, Action and the
// attribute definitions they carry. A category is identified by scheme + term.

/** JSON types an OCCI attribute may have (GFD.226, attribute description `type`). */
export type AttributeType = 'string' | 'number' | 'boolean' | 'array' | 'object';

/** One attribute definition of a Kind, Mixin or Action. */
export interface AttributeDef {
  name: string;
  type: AttributeType;
  required?: boolean;
  mutable?: boolean;
  default?: string | number | boolean;
  description?: string;
  /** Allowed values (rendered as the JSON Schema `enum` of the attribute's pattern). */
  enum?: readonly (string | number)[];
  /** Lower bound for numbers (the pattern's `minimum`). */
  minimum?: number;
  /** Only integral numbers (the pattern's type becomes `integer`). */
  integer?: boolean;
  /** The attribute names a channel (see wiring.ts): input or output, and what flows on it. */
  channel?: ChannelDef;
}

/** What a channel attribute means for the metric → aggregator → publisher wiring. */
export interface ChannelDef {
  direction: 'in' | 'out';
  /** For outputs: the value type produced. For inputs: the value types accepted. */
  types: readonly ValueType[];
}

/** What flows on a channel. `state` is a threshold's 0/1 (normal/alarm) change. */
export type ValueType = 'number' | 'boolean' | 'state';

export interface CategoryBase {
  scheme: string;
  term: string;
  title?: string;
}

export interface ActionCategory extends CategoryBase {
  class: 'action';
  attributes: readonly AttributeDef[];
}

export interface KindCategory extends CategoryBase {
  class: 'kind';
  /** Type identifier of the parent kind; absent only for entity. */
  parent?: string;
  attributes: readonly AttributeDef[];
  actions: readonly string[];
  /** Collection location, e.g. /occi/sensor/; absent only for entity. */
  location?: string;
  /** Whether clients may create/update/delete entities of this kind. */
  readOnly?: boolean;
}

/** Role a provider mixin plays in a monitoring pipe, if any. */
export type StageRole = 'metric' | 'aggregator' | 'publisher';

export interface MixinCategory extends CategoryBase {
  class: 'mixin';
  attributes: readonly AttributeDef[];
  actions: readonly string[];
  depends: readonly string[];
  applies: readonly string[];
  location: string;
  /** Defined by a user through the query interface (conformance profile 2). */
  user?: boolean;
}

export type Category = KindCategory | MixinCategory | ActionCategory;

/** The type identifier of a category: scheme followed by term. */
export const typeId = (c: CategoryBase): string => c.scheme + c.term;

/** Splits a type identifier at its last '#' into scheme (with the '#') and term. */
export function splitTypeId(id: string): { scheme: string; term: string } | undefined {
  const i = id.lastIndexOf('#');
  if (i <= 0 || i === id.length - 1) return undefined;
  return { scheme: id.slice(0, i + 1), term: id.slice(i + 1) };
}
