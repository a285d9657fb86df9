/**
 * Bundles every Lambda of the stack the way `cdk deploy` does, for `npm run bench:cold`: the
 * construct's own options (`lib/bundling.ts`), as NodejsFunction passes them to esbuild.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { LAMBDA_BUNDLING } from '../../lib/bundling';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, version as esbuildVersion, type BuildOptions } from 'esbuild';
import { functionGroups } from '../../contracts/routes';
import { queues, schedules } from '../../contracts/queues';
import { TOKEN_AUTHORIZER_ENTRY } from '../../lib/constructs/billing-identity';

export { esbuildVersion };

/** One Lambda of the stack and where it comes from. */
export interface LambdaEntry {
  readonly name: string;
  readonly kind: 'api' | 'queue' | 'schedule' | 'authorizer';
  /** Source file, relative to the repository root. */
  readonly entry: string;
}

/**
 * Every Lambda the CDK stack builds: route function groups, queue consumers, scheduled functions,
 * and the token authorizer (in front of the routes that take machine tokens, so its cold start
 * adds to theirs).
 */
export const lambdaEntries = (): LambdaEntry[] => [
  ...Object.entries(functionGroups).map(([name, g]): LambdaEntry => ({ name, kind: 'api', entry: g.entry })),
  ...Object.entries(queues).map(([name, q]): LambdaEntry => ({ name: `${name}-consumer`, kind: 'queue', entry: q.consumer.entry })),
  ...Object.entries(schedules).map(([name, s]): LambdaEntry => ({ name, kind: 'schedule', entry: s.entry })),
  { name: 'token-authorizer', kind: 'authorizer', entry: TOKEN_AUTHORIZER_ENTRY },
];

/** `bundled`: the AWS SDK inside the bundle (what we deploy); `runtime`: the SDK left to the Lambda runtime. */
export type SdkMode = 'bundled' | 'runtime';

/**
 * What NodejsFunction marks external when `bundleAwsSDK` is false on a Node 18+ runtime:
 * `@aws-sdk/*`, plus `@smithy/*` under the feature flag `sdkV3ExcludeSmithyPackages` (cdk.json).
 */
export const runtimeSdkExternals = (repoRoot: string): string[] => {
  const cdk = JSON.parse(readFileSync(join(repoRoot, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return cdk.context?.['@aws-cdk/aws-lambda-nodejs:sdkV3ExcludeSmithyPackages'] === true ? ['@aws-sdk/*', '@smithy/*'] : ['@aws-sdk/*'];
};

export interface BundleResult {
  /** The bundle, `<dir>/index.mjs`, with `index.mjs.map` beside it. */
  readonly file: string;
  readonly jsBytes: number;
  readonly gzipBytes: number;
  readonly mapBytes: number;
  readonly mapGzipBytes: number;
}

/** Bundles `entry` into `outDir/index.mjs` with the construct's options; `runtime` leaves the SDK external. */
export const bundleLambda = async (repoRoot: string, entry: string, outDir: string, mode: SdkMode): Promise<BundleResult> => {
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, 'index.mjs');
  const options: BuildOptions = {
    absWorkingDir: repoRoot,
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: LAMBDA_BUNDLING.target,
    outfile: file,
    minify: LAMBDA_BUNDLING.minify,
    sourcemap: LAMBDA_BUNDLING.sourceMap,
    sourcesContent: LAMBDA_BUNDLING.sourcesContent,
    banner: { js: LAMBDA_BUNDLING.banner },
    mainFields: [...LAMBDA_BUNDLING.mainFields],
    external: mode === 'bundled' ? [] : runtimeSdkExternals(repoRoot),
    logLevel: 'error',
  };
  const result = await build(options);
  if (result.errors.length > 0) throw new Error(`esbuild failed for ${entry}: ${result.errors.map((e) => e.text).join('; ')}`);
  const js = readFileSync(file);
  const map = readFileSync(`${file}.map`);
  return {
    file,
    jsBytes: statSync(file).size,
    gzipBytes: gzipSync(js, { level: 9 }).length,
    mapBytes: map.length,
    mapGzipBytes: gzipSync(map, { level: 9 }).length,
  };
};
