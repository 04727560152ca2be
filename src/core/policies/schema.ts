// The policy API's wire shapes (zod): the routes serialize through them, the OpenAPI
// document shows them, and src/client reads answers with them.
import { z } from 'zod';
import { PolicyPatchSchema } from '../../policy/document.js';

export const PolicyParameter = z.object({
  name: z.string(),
  type: z.enum(['number', 'integer', 'enum']),
  unit: z.string().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  allowed: z.array(z.string()).optional(),
  default: z.union([z.number(), z.string()]),
  value: z.union([z.number(), z.string()]),
  description: z.string(),
});
const Doc = z.record(z.string(), z.unknown());
export const PolicyChange = z.object({ name: z.string(), from: z.unknown(), to: z.unknown() });
/** GET /api/v1/policies */
export const GlobalPolicyView = z.object({ policy: Doc, parameters: z.array(PolicyParameter), overrides: z.record(z.string(), Doc) });
/** GET /api/v1/nodes/{id}/policies */
export const NodePolicyView = z.object({ node: z.string(), policy: Doc, override: Doc, parameters: z.array(PolicyParameter) });
/** PUT /api/v1/policies */
export const GlobalPolicyChanged = z.object({ policy: Doc, changes: z.array(PolicyChange) });
/** PUT /api/v1/nodes/{id}/policies */
export const NodePolicyChanged = z.object({ policy: Doc, override: Doc, changes: z.array(PolicyChange) });
// The body is validated in the service (parsePatch) so that combination errors and field
// errors read the same; the schema here documents it in OpenAPI.
export const PolicyPatchBody = (PolicyPatchSchema as z.ZodType).describe('a partial policy document: only the fields to change');
