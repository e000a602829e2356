/**
 * The layout's rules (DESIGN.md, "Layout: folders by where code runs"), checked in CI:
 * demo, cli → engine's front door → core ← node; nothing shipped reaches into test/ or bench/.
 *
 * Node Workers are started with `new Worker(new URL('…/node-agent.ts', import.meta.url))`.
 * dependency-cruiser does not see a `new URL(...)` as a dependency, so the engine creating the
 * node Worker needs no exception below, and engine/ → node/ stays forbidden for real imports.
 * (Those Worker entries are declared to knip instead, in knip.json.)
 */
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A cycle of runtime imports means two modules are one concept, or a boundary points both ways. ' +
        'Type-only cycles are allowed: mutually referring types (a tree node and its mount) are erased at runtime.',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'core-is-the-bottom',
      severity: 'error',
      comment: 'core/ is what both threads share; it must not depend on either side or on any app.',
      from: { path: '^core/' },
      to: { path: '^(engine|node|cli|demo|proxy)/' },
    },
    {
      name: 'node-never-imports-engine',
      severity: 'error',
      comment: 'node/ runs inside a Worker; it talks to the engine through core/protocol.ts only.',
      from: { path: '^node/' },
      to: { path: '^(engine|cli|demo)/' },
    },
    {
      name: 'engine-never-imports-node',
      severity: 'error',
      comment: 'The engine reaches a node through the Worker protocol (core/protocol.ts), never by import.',
      from: { path: '^engine/' },
      to: { path: '^node/' },
    },
    {
      name: 'engine-only-through-front-door',
      severity: 'error',
      comment: 'The CLI and the demo are clients of the Engine API: engine/index.ts, nothing behind it (not core/ or node/ either).',
      from: { path: '^(cli|demo)/' },
      to: { path: '^(engine|core|node)/', pathNot: '^engine/index\\.ts$' },
    },
    {
      name: 'cli-is-below-demo',
      severity: 'error',
      comment: 'The demo embeds the CLI; the CLI must not know about the demo.',
      from: { path: '^cli/' },
      to: { path: '^demo/' },
    },
    {
      name: 'net-imports-only-core',
      severity: 'error',
      comment: 'net/ runs in the network Worker; it shares only core/ (codecs, the Fabric API) with the rest.',
      from: { path: '^net/' },
      to: { path: '^(engine|node|cli|demo|proxy|test|bench|scripts)/' },
    },
    {
      name: 'ports-origin-stands-alone',
      severity: 'error',
      comment:
        'ports-origin/ is what the published ports origin serves (a Service Worker, a relay page, a shim in served pages) and the engine tab’s end of it: ' +
        'it knows only its own wire format; the demo hands it engine.ports.',
      from: { path: '^ports-origin/' },
      to: { path: '^(engine|node|core|cli|demo|net|proxy)/' },
    },
    {
      name: 'shipped-code-never-imports-tests',
      severity: 'error',
      comment: 'Test and benchmark code is not shipped; what shipped code needs belongs in core/ or engine/.',
      from: { path: '^(core|engine|node|cli|demo|proxy)/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'bench-uses-test-support-only',
      severity: 'error',
      comment: 'Benchmarks share helpers with the tests through test/support/, not by reaching into the suites.',
      from: { path: '^bench/' },
      to: { path: '^test/', pathNot: '^test/support/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment: 'An import that resolves to nothing is a typo or a file that moved.',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|\\.cache|dist|demo/public)/' },
    // Imports carry .ts extensions and resolve as tsc resolves them (moduleResolution: Bundler).
    tsConfig: { fileName: 'tsconfig.json' },
    // Type-only imports count: a type from the engine inside node/ still couples the two.
    tsPreCompilationDeps: true,
    // Packages such as vite resolve only through their `exports` map's conditions.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
};
