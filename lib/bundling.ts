/**
 * How every Lambda is bundled (esbuild through NodejsFunction), as plain data so that
 * `npm run bench:cold` bundles exactly what `cdk deploy` ships without importing aws-cdk-lib.
 * Format is ESM (`index.mjs`); the construct adds that and local bundling (no Docker).
 */
export const LAMBDA_BUNDLING = {
  target: 'node22',
  mainFields: ['module', 'main'],
  // CommonJS dependencies bundled into ESM still call `require`; give them one.
  banner: "import { createRequire as topLevelCreateRequire } from 'node:module'; const require = topLevelCreateRequire(import.meta.url);",
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  // Ship the SDK version the tests ran against, not whatever the runtime carries.
  bundleAwsSDK: true,
} as const;
