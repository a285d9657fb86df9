/**
 * Bundles every Lambda of the stack the way `cdk deploy` does, for `npm run bench:cold`.
 *
 * The esbuild options MIRROR lib/constructs/billing-function.ts and aws-cdk-lib's NodejsFunction
 * (which turns them into esbuild CLI flags); nothing is factored out of the construct, so the
 * bench checks the construct's source text for drift instead and reports any difference.
 */
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, version as esbuildVersion, type BuildOptions } from 'esbuild';
import { functionGroups } from '../../lib/routes';
import { queues, schedules } from '../../lib/queues';

export { esbuildVersion };

/** One Lambda of the stack and where it comes from. */
export interface LambdaEntry {
  readonly name: string;
  readonly kind: 'api' | 'queue' | 'schedule';
  /** Source file, relative to the repository root. */
  readonly entry: string;
}

/** Every Lambda the CDK stack builds: route function groups, queue consumers, scheduled functions. */
export const lambdaEntries = (): LambdaEntry[] => [
  ...Object.entries(functionGroups).map(([name, g]): LambdaEntry => ({ name, kind: 'api', entry: g.entry })),
  ...Object.entries(queues).map(([name, q]): LambdaEntry => ({ name: `${name}-consumer`, kind: 'queue', entry: q.consumer.entry })),
  ...Object.entries(schedules).map(([name, s]): LambdaEntry => ({ name, kind: 'schedule', entry: s.entry })),
];

/** `bundled`: the AWS SDK inside the bundle (what we deploy); `runtime`: the SDK left to the Lambda runtime. */
export type SdkMode = 'bundled' | 'runtime';

/**
 * The construct's `bundling` props, copied by hand. NodejsFunction passes them to esbuild as
 * `--bundle --target --platform=node --format --outfile=index.mjs --minify --sourcemap
 * --sources-content=false --banner:js --main-fields`, run in the project root.
 */
export const MIRRORED_BUNDLING = {
  format: 'esm',
  target: 'node22',
  mainFields: ['module', 'main'],
  banner: "import { createRequire as topLevelCreateRequire } from 'node:module'; const require = topLevelCreateRequire(import.meta.url);",
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  bundleAwsSDK: true,
} as const;

/**
 * Differences between MIRRORED_BUNDLING and what billing-function.ts says today (read as text:
 * importing the construct would pull in aws-cdk-lib). Empty when they agree.
 */
export const bundlingDrift = (repoRoot: string): string[] => {
  const source = readFileSync(join(repoRoot, 'lib', 'constructs', 'billing-function.ts'), 'utf8');
  const block = /bundling:\s*\{([\s\S]*?)\n\s*\},/.exec(source)?.[1];
  if (block === undefined) return ['no `bundling: {...}` block found in billing-function.ts'];
  const expected: [string, RegExp][] = [
    ["format: OutputFormat.ESM", /format:\s*OutputFormat\.ESM\b/],
    [`target: '${MIRRORED_BUNDLING.target}'`, new RegExp(`target:\\s*'${MIRRORED_BUNDLING.target}'`)],
    ["mainFields: ['module', 'main']", /mainFields:\s*\[\s*'module',\s*'main'\s*\]/],
    [`minify: ${MIRRORED_BUNDLING.minify}`, new RegExp(`minify:\\s*${MIRRORED_BUNDLING.minify}\\b`)],
    [`sourceMap: ${MIRRORED_BUNDLING.sourceMap}`, new RegExp(`sourceMap:\\s*${MIRRORED_BUNDLING.sourceMap}\\b`)],
    [`sourcesContent: ${MIRRORED_BUNDLING.sourcesContent}`, new RegExp(`sourcesContent:\\s*${MIRRORED_BUNDLING.sourcesContent}\\b`)],
    [`bundleAwsSDK: ${MIRRORED_BUNDLING.bundleAwsSDK}`, new RegExp(`bundleAwsSDK:\\s*${MIRRORED_BUNDLING.bundleAwsSDK}\\b`)],
  ];
  const drift = expected.filter(([, re]) => !re.test(block)).map(([text]) => `billing-function.ts no longer says \`${text}\``);
  const banner = /banner:\s*"([^"]*)"/.exec(block)?.[1] ?? /banner:\s*'([^']*)'/.exec(block)?.[1];
  if (banner !== MIRRORED_BUNDLING.banner) drift.push('billing-function.ts has another `banner`');
  for (const key of ['externalModules', 'nodeModules', 'define', 'loader', 'keepNames', 'tsconfig', 'esbuildArgs', 'inject', 'footer', 'sourceMapMode']) {
    if (new RegExp(`\\b${key}:`).test(block)) drift.push(`billing-function.ts sets \`${key}\`, which the bench does not mirror`);
  }
  return drift;
};

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
    format: MIRRORED_BUNDLING.format,
    target: MIRRORED_BUNDLING.target,
    outfile: file,
    minify: MIRRORED_BUNDLING.minify,
    sourcemap: MIRRORED_BUNDLING.sourceMap,
    sourcesContent: MIRRORED_BUNDLING.sourcesContent,
    banner: { js: MIRRORED_BUNDLING.banner },
    mainFields: [...MIRRORED_BUNDLING.mainFields],
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
