import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { AssetHashType, DefaultStackSynthesizer, DockerImage, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  SSLMethod,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { SingletonFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, type CfnBucket, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source, type ISource } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { acknowledgeControl } from '../control-tower';

/** What the page reads from `/config.json` (see `web/src/config.ts`). */
export interface WebConfig {
  /** The API's base URL, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/api/billing`. */
  readonly apiUrl: string;
  /** With `clientId`: the Cognito hosted UI the page signs in through (OIDC code + PKCE). */
  readonly userPoolDomain?: string;
  readonly clientId?: string;
}

/** Where `openapi.json`, deployed next to the page, sends its readers. */
export interface ApiDocumentTargets {
  /** The API's base URL (the document's server). */
  readonly apiUrl: string;
  /** The token endpoint of machine credentials (the user pool domain's `/oauth2/token`). */
  readonly tokenUrl?: string;
}

/** A domain of the operator's own for the page, with its ACM certificate (in us-east-1). */
export interface WebDomain {
  readonly domainName: string;
  readonly certificateArn: string;
}

export interface WebSiteProps {
  /** The page's sources (`web/`, with its `vite.config.ts`); built at synth time. */
  readonly sourceDir: string;
  /** Encrypts the deployment's log group (`OperationsKey`). */
  readonly logKey: IKey;
  /** Served on this domain with TLSv1.2_2021 and SNI; else on `*.cloudfront.net`. */
  readonly domain?: WebDomain;
}

/** Where the hosted UI sends the browser back to; the page handles it (SPA fallback). */
export const CALLBACK_PATH = '/auth/callback';

/**
 * Builds the page with Vite into `outputDir`. CDK calls this as local bundling during
 * synthesis, so a deploy always ships the page built from the sources it was synthesized
 * with, whether or not `web/dist` exists or is current; no Docker is involved.
 */
const buildPage = (sourceDir: string, outputDir: string): void => {
  const require = createRequire(import.meta.url);
  const vitePackage = require.resolve('vite/package.json');
  const viteBin = join(dirname(vitePackage), 'bin', 'vite.js');
  try {
    execFileSync(process.execPath, [viteBin, 'build', sourceDir, '--outDir', outputDir, '--emptyOutDir', '--logLevel', 'warn'], {
      // Vite's output must not mix into `cdk synth`'s standard output (the template).
      stdio: ['ignore', process.stderr, process.stderr],
    });
  } catch (error) {
    throw new Error(`building the billing page from ${sourceDir} failed (run \`npm run build:web\` to see why)`, { cause: error });
  }
};

let builtDocument: Record<string, unknown> | undefined;

/**
 * The API's OpenAPI document as `npm run openapi` writes it, built once per synthesis by running
 * that script (the stack never imports application code; see .dependency-cruiser.cjs).
 */
const apiDocument = (): Record<string, unknown> => {
  if (builtDocument) return builtDocument;
  const require = createRequire(import.meta.url);
  const tsx = join(dirname(require.resolve('tsx/package.json')), 'dist', 'cli.mjs');
  const script = resolve(dirname(new URL(import.meta.url).pathname), '..', '..', 'bin', 'openapi.ts');
  try {
    builtDocument = JSON.parse(execFileSync(process.execPath, [tsx, script], { encoding: 'utf8', stdio: ['ignore', 'pipe', process.stderr] })) as Record<string, unknown>;
  } catch (error) {
    throw new Error('building the API document failed (run `npm run openapi` to see why)', { cause: error });
  }
  return builtDocument;
};

/**
 * The document with this deployment's addresses: its server is the API (a relative URL would
 * point at the page's own host), and machine credentials get tokens at the user pool domain.
 * Both may be deploy-time values (`Source.jsonData` resolves them).
 */
export const deployedApiDocument = (targets: ApiDocumentTargets): Record<string, unknown> => {
  const document = apiDocument();
  const components = document.components as { securitySchemes?: Record<string, { flows?: { clientCredentials?: Record<string, unknown> } }> } | undefined;
  const schemes = Object.fromEntries(
    Object.entries(components?.securitySchemes ?? {}).map(([name, scheme]) => [
      name,
      scheme.flows?.clientCredentials && targets.tokenUrl
        ? { ...scheme, flows: { ...scheme.flows, clientCredentials: { ...scheme.flows.clientCredentials, tokenUrl: targets.tokenUrl } } }
        : scheme,
    ]),
  );
  return {
    ...document,
    servers: [{ url: targets.apiUrl, description: 'The billing API' }],
    components: { ...components, securitySchemes: schemes },
  };
};

/**
 * The security headers both behaviours send. The page calls the API (execute-api) and, to
 * sign in, the Cognito hosted UI's token endpoint; nothing else. Wildcards rather than the
 * exact hosts: the API's CORS rule names this distribution, so the distribution cannot name
 * the API back without a dependency cycle.
 */
const contentSecurityPolicy = (region: string): string =>
  [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src 'self' https://*.execute-api.${region}.amazonaws.com https://*.amazoncognito.com`,
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
  ].join('; ');

/**
 * The billing web page (SPEC section 9): a private, versioned S3 bucket behind CloudFront with
 * origin access control, the SPA fallback to `index.html`, security headers, and a deployment
 * of the Vite build plus a generated `config.json`. Built in two steps so the API can allow
 * this site's origin in CORS before the site's config names the API: construct, read
 * `url`, then `deploy(config)`.
 */
export class WebSite extends Construct {
  readonly bucket: Bucket;
  readonly logBucket: Bucket;
  readonly distribution: Distribution;
  private readonly sourceDir: string;
  private readonly logKey: IKey;
  private readonly domainName: string | undefined;

  constructor(scope: Construct, id: string, props: WebSiteProps) {
    super(scope, id);
    this.sourceDir = resolve(props.sourceDir);
    this.logKey = props.logKey;
    this.domainName = props.domain?.domainName;

    // CloudFront standard logs need ACLs on their bucket; nothing else is written here.
    this.logBucket = new Bucket(this, 'AccessLogs', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      versioned: true,
      lifecycleRules: [{ expiration: Duration.days(180), noncurrentVersionExpiration: Duration.days(30) }],
    });
    Validations.of(this.logBucket).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason: 'This is the access-log bucket of the web site; logging its own access would log the log writes.',
    });
    acknowledgeControl(this.logBucket, 'CT.S3.PR.2', 'This is the access-log bucket of the web site; logging its own access would log the log writes.');
    acknowledgeControl(
      this.logBucket,
      'CT.S3.PR.10',
      'S3 server access logs can be delivered only to a bucket encrypted with SSE-S3, not SSE-KMS; the logs are encrypted at rest with S3-managed keys.',
    );

    this.bucket = new Bucket(this, 'Site', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 's3/',
      // A deploy replaces and prunes the page's files: the previous page stays restorable a month.
      versioned: true,
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(30), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
    });
    acknowledgeControl(
      this.bucket,
      'CT.S3.PR.10',
      'The bucket holds the built page, the same bytes CloudFront serves to anyone; SSE-S3 encrypts it at rest, and a KMS key would guard nothing secret while tying the key policy to the distribution.',
    );
    for (const bucket of [this.bucket, this.logBucket]) {
      acknowledgeControl(
        bucket,
        'CT.S3.PR.4',
        'Nothing reacts to objects here: the page is written only by the deployment and read only by CloudFront, logs only by AWS log delivery; both are in the server access logs and CloudTrail.',
      );
      acknowledgeControl(
        bucket,
        'CT.S3.PR.9',
        'Object Lock would stop deploys from pruning old page files and lifecycle rules from expiring logs; the page is rebuilt from git, old versions are kept 30 days by versioning.',
      );
    }

    const security = {
      contentSecurityPolicy: { contentSecurityPolicy: contentSecurityPolicy(Stack.of(this).region), override: true },
      contentTypeOptions: { override: true },
      frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
      referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      strictTransportSecurity: { accessControlMaxAge: Duration.days(365), includeSubdomains: true, override: true },
    };
    // index.html and config.json are read afresh on every visit, so a deploy shows at once;
    // Vite names everything under assets/ by content hash, so those are cached for good.
    const pageHeaders = new ResponseHeadersPolicy(this, 'PageHeaders', {
      comment: 'SecureNet billing page: security headers, no caching of the entry points',
      securityHeadersBehavior: security,
      customHeadersBehavior: { customHeaders: [{ header: 'Cache-Control', value: 'no-cache', override: true }] },
    });
    const assetHeaders = new ResponseHeadersPolicy(this, 'AssetHeaders', {
      comment: 'SecureNet billing page: security headers, immutable hashed assets',
      securityHeadersBehavior: security,
      customHeadersBehavior: { customHeaders: [{ header: 'Cache-Control', value: 'public, max-age=31536000, immutable', override: true }] },
    });

    const origin = S3BucketOrigin.withOriginAccessControl(this.bucket);
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'SecureNet billing page',
      defaultRootObject: 'index.html',
      httpVersion: HttpVersion.HTTP2_AND_3,
      defaultBehavior: {
        origin,
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_DISABLED,
        responseHeadersPolicy: pageHeaders,
      },
      additionalBehaviors: {
        'assets/*': {
          origin,
          viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
          allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
          cachePolicy: CachePolicy.CACHING_OPTIMIZED,
          responseHeadersPolicy: assetHeaders,
        },
      },
      // The SPA fallback: S3 answers 403 for a key it does not have (no ListBucket grant),
      // so page paths such as /auth/callback get index.html and the page routes itself.
      errorResponses: [403, 404].map((httpStatus) => ({ httpStatus, responseHttpStatus: 200, responsePagePath: '/index.html', ttl: Duration.seconds(0) })),
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
      ...(props.domain
        ? {
            domainNames: [props.domain.domainName],
            certificate: Certificate.fromCertificateArn(this, 'Certificate', props.domain.certificateArn),
            minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
            sslSupportMethod: SSLMethod.SNI,
          }
        : {}),
    });
    const acknowledge = (rule: string, reason: string) =>
      Validations.of(this.distribution).acknowledge({ id: `AwsSolutions::AwsSolutions-${rule}`, reason });
    acknowledge('CFR1', 'The billing page is for customers in any country; the API behind it authenticates every call.');
    acknowledge(
      'CFR2',
      'The distribution serves only static files from a private bucket (no origin logic to attack); the API has its own throttling and per-tenant limits.',
    );
    acknowledgeControl(
      this.distribution,
      'CT.CLOUDFRONT.PR.4',
      'One origin: the bucket, in the stack\'s region. Failover would need a replicated bucket in a second region for a page that is rebuilt from git on every deploy; CloudFront serves cached copies meanwhile.',
    );
    if (!props.domain) {
      // Without a domain of its own, CloudFront's certificate and its TLSv1 policy are all there is.
      const noDomain =
        "Served on CloudFront's default *.cloudfront.net certificate, whose TLS policy only CloudFront sets; give the context webDomainName and webCertificateArn to serve on your own domain with TLSv1.2_2021 and SNI.";
      acknowledge('CFR4', noDomain);
      for (const control of ['CT.CLOUDFRONT.PR.6', 'CT.CLOUDFRONT.PR.7', 'CT.CLOUDFRONT.PR.9'] as const) {
        acknowledgeControl(this.distribution, control, noDomain);
      }
    }
  }

  /** `https://<domain>`, the operator's or `<id>.cloudfront.net`: the page's origin, for the API's CORS rule. */
  get url(): string {
    return `https://${this.domainName ?? this.distribution.distributionDomainName}`;
  }

  /** Where Cognito's hosted UI returns to after sign-in. */
  get callbackUrl(): string {
    return `${this.url}${CALLBACK_PATH}`;
  }

  /** Uploads the page, its `config.json` and the API's `openapi.json`; call once the API and identity exist. */
  deploy(config: WebConfig & Pick<ApiDocumentTargets, 'tokenUrl'>): BucketDeployment {
    const page: ISource = Source.asset(this.sourceDir, {
      // Hash what is deployed, not the sources: the page also compiles code from functions/.
      assetHashType: AssetHashType.OUTPUT,
      exclude: ['dist', 'node_modules'],
      bundling: {
        // Never pulled: local bundling always answers (or fails synthesis).
        image: DockerImage.fromRegistry('public.ecr.aws/docker/library/node:22-slim'),
        local: {
          tryBundle: (outputDir: string) => {
            buildPage(this.sourceDir, outputDir);
            return true;
          },
        },
      },
    });
    const oidc = config.userPoolDomain !== undefined && config.clientId !== undefined;
    const settings = Source.jsonData('config.json', {
      apiUrl: config.apiUrl,
      ...(oidc ? { userPoolDomain: config.userPoolDomain, clientId: config.clientId, redirectUri: this.callbackUrl } : {}),
    });
    const document = Source.jsonData('openapi.json', deployedApiDocument({ apiUrl: config.apiUrl, ...(config.tokenUrl ? { tokenUrl: config.tokenUrl } : {}) }));

    // Its own role and log group: no AWS managed policy, logs kept a month like the functions'.
    const role = new Role(this, 'DeploymentRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Copies the billing page into its bucket at deploy time',
    });
    const logGroup = new LogGroup(this, 'DeploymentLogs', { retention: RetentionDays.ONE_MONTH, encryptionKey: this.logKey });
    acknowledgeControl(logGroup, 'CT.CLOUDWATCH.PR.2', 'It logs only the copy function, which runs at deploy time; a month covers looking into a failed deploy.');
    logGroup.grantWrite(role);
    const deployment = new BucketDeployment(this, 'Deployment', {
      sources: [page, settings, document],
      destinationBucket: this.bucket,
      role,
      logGroup,
      memoryLimit: 256,
    });
    // The grants BucketDeployment makes: read the CDK asset bucket, read-write this site's
    // bucket. Each wildcard is named, so any other one still fails synthesis.
    const stack = Stack.of(this);
    const siteBucketId = stack.resolve((this.bucket.node.defaultChild as CfnBucket).logicalId) as string;
    const qualifier = String(this.node.tryGetContext('@aws-cdk/core:bootstrapQualifier') ?? DefaultStackSynthesizer.DEFAULT_QUALIFIER);
    const wildcards = [
      'Action::s3:GetBucket*',
      'Action::s3:GetObject*',
      'Action::s3:List*',
      'Action::s3:Abort*',
      'Action::s3:DeleteObject*',
      `Resource::<${siteBucketId}.Arn>/*`,
      `Resource::arn:<AWS::Partition>:s3:::cdk-${qualifier}-assets-<AWS::AccountId>-<AWS::Region>/*`,
    ];
    for (const finding of wildcards) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[${finding}]`,
        reason:
          "CDK's BucketDeployment copy function syncs whole prefixes: it reads the page's asset objects from the CDK asset bucket and writes and prunes objects in this site's bucket only.",
      });
    }
    // The copy function is a singleton at stack level, outside this construct.
    const handler = deployment.node.findChild('CustomResourceHandler') as SingletonFunction;
    const copyFunction = stack.node.findChild(handler.constructName);
    Validations.of(copyFunction).acknowledge({
      id: 'AwsSolutions::AwsSolutions-L1',
      reason: "The runtime of CDK's BucketDeployment copy function is chosen by aws-cdk-lib and moves with it; it runs only during deploys.",
    });
    acknowledgeControl(copyFunction, 'CT.LAMBDA.PR.3', "CDK's BucketDeployment copy function talks only to S3 and CloudFormation, at deploy time; it has no private resource to reach.");
    return deployment;
  }
}
