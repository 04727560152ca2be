// `osmo token …`: scoped API tokens (create, ls, revoke) and the join token's rotation.
// A secret is printed once, when it is made; listings show ids, names and scopes only.
import { type Command, InvalidArgumentError } from 'commander';
import { clientFlags, print, table, type ClientFlags } from '../common.js';
import { coreClient } from '../core-client.js';

const SCOPES = ['admin', 'read-only'] as const;
type Scope = (typeof SCOPES)[number];

export function register(program: Command): void {
  const token = program.command('token').description('API tokens (admin | read-only) and the join token');

  clientFlags(
    token
      .command('create')
      .description('create an API token; its secret is printed once, keep it')
      .requiredOption('--scope <scope>', 'admin | read-only', (v: string): Scope => {
        if (!(SCOPES as readonly string[]).includes(v)) throw new InvalidArgumentError('--scope must be admin or read-only');
        return v as Scope;
      })
      .option('--name <name>', 'a name to list, audit and revoke it by'),
  ).action(async (o: ClientFlags & { scope: Scope; name?: string }) => {
    const t = await coreClient(o).createToken(o.scope, o.name);
    print(o, t, () => `${t.token}\n`);
    if (!o.json) process.stderr.write(`token ${t.name} (${t.scope}, id ${t.id}) created: this is the only time it is shown\n`);
  });

  clientFlags(token.command('ls').description('list API tokens (never their secrets)')).action(async (o: ClientFlags) => {
    const tokens = await coreClient(o).tokens();
    print(o, { tokens }, () =>
      table([['ID', 'NAME', 'SCOPE', 'CREATED'], ...tokens.map((t) => [t.id, t.name, t.scope, new Date(t.createdAt).toISOString()])]),
    );
  });

  clientFlags(token.command('revoke').description('revoke an API token by id or name').argument('<id>')).action(
    async (id: string, o: ClientFlags) => {
      const t = await coreClient(o).revokeToken(id);
      print(o, t, () => `token ${t.name} (${t.id}) revoked\n`);
    },
  );

  clientFlags(
    token
      .command('rotate-join')
      .description('replace the join token (new nodes need the new one; joined nodes keep their own credentials)'),
  ).action(async (o: ClientFlags) => {
    const r = await coreClient(o).rotateJoinToken();
    print(o, r, () => `${r.token}\n`);
    if (!o.json) process.stderr.write('join token rotated (also written to <data-dir>/join-token); the old one is refused from now on\n');
  });
}
