// The wire shapes of the token API (routes.ts), shared with the typed client (src/client).
import { z } from 'zod';

export const TokenScope = z.enum(['admin', 'read-only']);
export type TokenScope = z.infer<typeof TokenScope>;

/** An API token as listed: never its hash or secret. */
export const TokenInfo = z.object({ id: z.string(), name: z.string(), scope: TokenScope, createdAt: z.number() });
export type TokenInfo = z.infer<typeof TokenInfo>;
/** The answer that creates a token: the only one that ever carries its secret. */
export const CreatedToken = TokenInfo.extend({ token: z.string() });
export const TokenList = z.object({ tokens: z.array(TokenInfo) });
export const CreateToken = z.object({
  scope: TokenScope,
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'name: 1-64 letters, digits, "_", "." or "-"')
    .optional(),
});
export const RotatedJoin = z.object({ token: z.string() });
