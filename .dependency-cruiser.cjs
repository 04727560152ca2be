// The dependency rule of DESIGN.md "Code layout": dependencies point inwards and
// downwards, `model` imports nothing of ours, the pure modules do no I/O, nothing
// imports the tests. `npm run lint:deps` checks it (and fails the test run on a breach).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'a cycle means two modules are one: split them or move the shared part down (usually to src/model)',
      from: {},
      to: { circular: true },
    },
    {
      name: 'model-is-the-bottom',
      severity: 'error',
      comment: 'src/model holds the domain types and imports nothing of ours',
      from: { path: '^src/model/' },
      to: { path: '^(src|web|test|bench)/', pathNot: '^src/model/' },
    },
    {
      name: 'shared-is-a-leaf',
      severity: 'error',
      comment: 'src/shared is plumbing every layer may use: it imports nothing else of ours but src/model (which everything may import)',
      from: { path: '^src/shared/' },
      to: { path: '^(src|web|test|bench)/', pathNot: '^src/(shared|model)/' },
    },
    {
      name: 'pure-modules-import-only-model',
      severity: 'error',
      comment: 'policy, planner, monitoring and sla are pure decisions: they see only src/model (and src/shared), never services',
      from: { path: '^src/(policy|planner|monitoring|sla)/' },
      to: { path: '^(src|web|test|bench)/', pathNot: ['^src/$1/', '^src/(model|shared)/'] },
    },
    {
      name: 'pure-modules-do-no-io',
      severity: 'error',
      comment: 'the pure modules (and the scheduler) take a snapshot and return a decision: no files, sockets or processes',
      from: { path: '^src/(model|policy|planner|monitoring|sla|core/scheduler)/' },
      to: {
        dependencyTypes: ['core'],
        path: '^(node:)?(fs|fs/promises|net|http|https|http2|dgram|dns|child_process|cluster|worker_threads|tls)$',
      },
    },
    {
      name: 'scheduler-imports-model-and-policy',
      severity: 'error',
      comment:
        'the scheduler is a pure function over a snapshot: it reads src/model and decides with src/policy (its module.ts is the wiring that registers it with the core)',
      from: { path: '^src/core/scheduler/', pathNot: '^src/core/scheduler/module\\.ts$' },
      to: { path: '^(src|web|test|bench)/', pathNot: ['^src/core/scheduler/', '^src/(model|policy|shared)/'] },
    },
    {
      name: 'infrastructure-below-services',
      severity: 'error',
      comment: 'store, bus and runtime sit under the services: they never import core, agent, client or cli',
      from: { path: '^src/(store|bus|runtime)/' },
      to: { path: '^src/(core|agent|client|cli)/' },
    },
    {
      name: 'store-speaks-model',
      severity: 'error',
      comment: 'the store keeps domain records: it reads src/model, not the runtime or the bus',
      from: { path: '^src/store/' },
      to: { path: '^(src|web|test|bench)/', pathNot: '^src/(store|model|shared)/' },
    },
    {
      name: 'services-below-entry-points',
      severity: 'error',
      comment: 'core and agent are services; only the CLI (and tests, benches) start them from above',
      from: { path: '^src/(core|agent)/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'core-and-agent-apart',
      severity: 'error',
      comment: 'core and agent are separate processes: they share only what is below them (model, bus, ...)',
      from: { path: '^src/(core|agent)/' },
      to: { path: '^src/(core|agent)/', pathNot: '^src/$1/' },
    },
    {
      name: 'nothing-imports-tests',
      severity: 'error',
      comment: 'src, web, bench and testing/ never import test/ (shared builders live in testing/)',
      from: { path: '^(src|web|bench|testing)/' },
      to: { path: '^test/' },
    },
    {
      name: 'src-does-not-import-web-or-bench',
      severity: 'error',
      comment: 'the server does not import the dashboard or the benches (it serves the built dashboard as files)',
      from: { path: '^src/' },
      to: { path: '^(web|bench)/' },
    },
    {
      name: 'dashboard-imports-types-only',
      severity: 'error',
      comment:
        'the dashboard bundle may use the server types (zod contracts), never its code; the one exception is the pure SSE framing (src/client/sse.ts: no Node, no I/O), shared so there is one parser',
      from: { path: '^web/src/' },
      to: { path: '^src/', pathNot: '^src/client/sse[.]ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'an import that does not resolve is a typo or a missing dependency',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // type-only imports count too: a type cycle is still a cycle of meaning
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.test.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.d.ts'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
