// OCCI JSON rendering (GFD.226) as the dashboard reads it: no DOM here, so pure code and
// its unit tests can use the types.

export interface OcciLink {
  kind: string;
  id: string;
  mixins?: string[];
  attributes?: Record<string, unknown>;
  source?: { location: string };
  target: { location: string; kind?: string };
}

export interface OcciResource {
  kind: string;
  id: string;
  mixins?: string[];
  attributes?: Record<string, unknown>;
  actions?: string[];
  links?: OcciLink[];
  title?: string;
}

export interface OcciCategory {
  term: string;
  scheme: string;
  title?: string;
  attributes?: Record<string, { description?: string; type?: string; required?: boolean; default?: unknown }>;
}
