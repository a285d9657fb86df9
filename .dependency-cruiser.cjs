/**
 * The seams of the code, checked by `npm run lint:deps` (part of `npm test`):
 * contracts <- domain <- app (use cases, ports) <- adapters <- http/queue kernels <- composition
 * <- functions (handlers); local/ (runner, emulators) and lib/ (CDK) are tools around them.
 */
const production = '^(src|functions|contracts)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'A cycle makes two modules one in disguise; break it with a port or by moving the shared part.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'contracts-import-nothing',
      comment: 'contracts/ is plain data read by the stack, the functions and the local runner.',
      severity: 'error',
      from: { path: '^contracts/' },
      to: { pathNot: '^contracts/' },
    },
    {
      name: 'domain-is-pure',
      comment: 'The domain imports only the domain (and zod, which validates the catalog data): no AWS, no Stripe, no Node I/O.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: ['^src/domain/', '^node_modules/zod/'] },
    },
    {
      name: 'api-contract-is-pure',
      comment: 'The API contract (src/api) is zod schemas over the domain: the web page and the typed client import it, so no AWS, no Stripe, no Node I/O.',
      severity: 'error',
      from: { path: '^src/api/' },
      to: { pathNot: ['^src/api/', '^src/domain/', '^contracts/', '^node_modules/zod/'] },
    },
    {
      name: 'app-depends-on-ports',
      comment: 'Use cases speak to ports (src/app/ports), never to adapters, kernels, wiring or configuration.',
      severity: 'error',
      from: { path: '^src/app/' },
      to: { path: ['^src/(adapters|http|queue|composition)/', '^src/platform/(config|webhooks-config|environment)', '^functions/'] },
    },
    {
      name: 'platform-stands-alone',
      comment: 'Logger, metrics, clock and config are below everything else in src/.',
      severity: 'error',
      from: { path: '^src/platform/' },
      to: { path: '^src/(domain|app|adapters|http|queue|composition)/' },
    },
    {
      name: 'adapters-below-kernels',
      comment: 'Adapters implement ports; they do not reach up into kernels, wiring or handlers.',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: ['^src/(http|queue|composition)/', '^functions/'] },
    },
    {
      name: 'kernels-below-composition',
      comment: 'The HTTP and queue kernels do not know the composition root or the handlers.',
      severity: 'error',
      from: { path: '^src/(http|queue)/' },
      to: { path: ['^src/composition/', '^functions/'] },
    },
    {
      name: 'handlers-are-entries',
      comment: 'Nothing in src/ imports a Lambda entry.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^functions/' },
    },
    {
      name: 'production-never-imports-tools',
      comment: 'Lambda bundles never contain the local runner, the emulators, the CDK app or tests.',
      severity: 'error',
      from: { path: production },
      to: { path: ['^local/', '^lib/', '^bin/', '^tests/', '^web/'] },
    },
    {
      name: 'stack-reads-contracts',
      comment: 'The CDK app builds from contracts/, never from application code.',
      severity: 'error',
      from: { path: '^(lib|bin/app)' },
      to: { path: ['^src/(app|adapters|http|queue|composition)/', '^functions/', '^local/'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^node_modules', '^cdk\\.out', '^web/dist'] },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
