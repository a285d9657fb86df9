import { ENV } from '../../contracts/environment';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { HttpJwtAuthorizer, HttpLambdaAuthorizer, HttpLambdaResponseType } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import {
  AccountRecovery,
  ClientAttributes,
  FeaturePlan,
  type IUserPool,
  type IUserPoolClient,
  Mfa,
  OAuthScope,
  ResourceServerScope,
  StandardThreatProtectionMode,
  StringAttribute,
  UserPool,
  type UserPoolClient,
  type UserPoolDomain,
  type UserPoolResourceServer,
} from 'aws-cdk-lib/aws-cognito';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { API_SCOPES, RESOURCE_SERVER_ID, SCOPE_DESCRIPTIONS, scopeName } from '../../contracts/scopes';
import { Construct } from 'constructs';
import { BillingFunction } from './billing-function';

/** Where the verified JWT carries the tenant and the caller's groups; the Lambdas read these. */
export interface ClaimConfig {
  readonly tenantClaim: string;
  readonly groupsClaim: string;
  readonly adminGroup: string;
}

/**
 * The claims Cognito puts in its ID tokens for the pool built here; also the defaults of
 * `src/platform/config.ts` and of the local token issuer, and of an external issuer.
 */
export const cognitoClaims: ClaimConfig = {
  tenantClaim: 'custom:tenant_id',
  groupsClaim: 'cognito:groups',
  adminGroup: 'billing-admin',
};

export interface ExternalIssuer {
  readonly issuer: string;
  readonly audience: readonly string[];
  readonly claims: ClaimConfig;
}

export interface BillingIdentityProps {
  /** Use this OIDC issuer instead of creating a Cognito user pool. */
  readonly external?: ExternalIssuer;
  readonly callbackUrls: readonly string[];
  readonly domainPrefix?: string;
}

/** The environment variables that tell the Lambdas how to read the claims. */
export const claimEnvironment = (claims: ClaimConfig): Record<string, string> => ({
  [ENV.tenantClaim]: claims.tenantClaim,
  [ENV.groupsClaim]: claims.groupsClaim,
  [ENV.adminGroup]: claims.adminGroup,
});

/**
 * Who may call the API: a JWT authorizer over a Cognito user pool built here, or over an
 * external OIDC issuer. Either way the API only verifies signature, issuer, audience and
 * expiry; the handlers read the tenant and admin group from the claims named in `claims`.
 * Routes that take machine tokens need more than a JWT authorizer can check: see `TokenAuthorizer`.
 */
export class BillingIdentity extends Construct {
  readonly authorizer: HttpJwtAuthorizer;
  readonly claims: ClaimConfig;
  readonly userPool?: UserPool;
  readonly userPoolClient?: UserPoolClient;
  readonly userPoolDomain?: UserPoolDomain;
  /** `billing` and its scopes (contracts/scopes.ts): what API clients' app clients are granted. */
  readonly resourceServer?: UserPoolResourceServer;

  constructor(scope: Construct, id: string, props: BillingIdentityProps) {
    super(scope, id);
    if (props.external) {
      this.claims = props.external.claims;
      this.authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.external.issuer, {
        jwtAudience: [...props.external.audience],
      });
      return;
    }

    this.claims = cognitoClaims;
    const tenantAttribute = this.claims.tenantClaim.replace(/^custom:/, '');
    const userPool = new UserPool(this, 'UserPool', {
      // Tenants' users are invited by an operator, who sets their tenant; nobody signs up alone.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      customAttributes: { [tenantAttribute]: new StringAttribute({ minLen: 1, maxLen: 64, mutable: true }) },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      // Plus tier: compromised-credential and risky sign-in checks on accounts that can change
      // what a tenant pays, enforced rather than only reported.
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    });
    Validations.of(userPool).acknowledge({
      id: 'AwsSolutions::AwsSolutions-COG2',
      reason:
        'MFA is optional by product decision (SPEC): users may enrol TOTP, and Plus-tier threat protection challenges risky sign-ins even without it.',
    });

    userPool.addGroup('AdminGroup', {
      groupName: this.claims.adminGroup,
      description: 'Operators who may call the /admin routes',
    });

    const client = userPool.addClient('WebClient', {
      // A browser app cannot keep a secret; authorization code + PKCE protects the exchange.
      generateSecret: false,
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [...props.callbackUrls],
      },
      preventUserExistenceErrors: true,
      // The tenant claim is read from the ID token, so the client may read the attribute but
      // never write it: a user who could set it could bill another tenant.
      readAttributes: new ClientAttributes().withStandardAttributes({ email: true, emailVerified: true }).withCustomAttributes(tenantAttribute),
      writeAttributes: new ClientAttributes().withStandardAttributes({ email: true }),
    });

    // Machine credentials: each API client is an app client of this pool with the
    // client_credentials grant and some of these scopes (created at run time by the api-clients
    // function, src/adapters/identity/cognito-app-clients.ts).
    this.resourceServer = userPool.addResourceServer('BillingResourceServer', {
      identifier: RESOURCE_SERVER_ID,
      userPoolResourceServerName: 'SecureNet Billing API',
      scopes: API_SCOPES.map((scope) => new ResourceServerScope({ scopeName: scopeName(scope), scopeDescription: SCOPE_DESCRIPTIONS[scope] })),
    });

    this.userPool = userPool;
    this.userPoolClient = client;
    if (props.domainPrefix) {
      this.userPoolDomain = userPool.addDomain('Domain', { cognitoDomain: { domainPrefix: props.domainPrefix } });
    }
    const issuer = `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${userPool.userPoolId}`;
    this.authorizer = new HttpJwtAuthorizer('JwtAuthorizer', issuer, { jwtAudience: [client.userPoolClientId] });
  }
}

/** The Lambda authorizer's source, relative to the repository root: a path, never an import (the stack loads no application code). */
export const TOKEN_AUTHORIZER_ENTRY = 'functions/authorizer/handler.ts';

/**
 * How long API Gateway keeps the token authorizer's answer for one Authorization header (its
 * identity source), i.e. for one token, on every route behind it. Chosen for what a cached
 * answer can and cannot outlive:
 * - revocation: not delayed. The answer says only that the token is genuine; whether a machine
 *   token's client is still a live API client is looked up by the handler on every request
 *   (remembered 5 s), so a revoked client is refused within those 5 s, cache or not;
 * - expiry: not extended. The context carries `exp` and the handler takes no claims once it has
 *   passed (`claimsOf` in src/http/principal.ts), so a cached answer cannot stretch a token's life;
 * - scopes: route-independent. The answer holds no scope decision (the handler makes it per
 *   route), so one cached answer may serve every route.
 * What remains is cost and latency: with five minutes, a service that calls all day runs the
 * authorizer about three times per machine token (they live 15 minutes, contracts/scopes.ts).
 */
export const TOKEN_AUTHORIZER_CACHE_TTL = Duration.minutes(5);

export interface TokenAuthorizerProps {
  /** The pool whose tokens it verifies: people's, and its app clients' (machine credentials). */
  readonly userPool: IUserPool;
  /** The app client people sign in with; a person's token must be issued to it. */
  readonly webClient: IUserPoolClient;
  /** The claims the handlers read, copied into the authorizer's context. */
  readonly claims: ClaimConfig;
  /** Encrypts the function's log group (`OperationsKey`). */
  readonly logKey: IKey;
}

/**
 * The authorizer of the routes that take machine tokens as well as people's (tenant routes that
 * declare scopes, contracts/routes.ts). API Gateway's JWT authorizer accepts a token without
 * `aud` only if its `client_id` is one of its audiences, at most 50 of them fixed at deploy
 * time, while every API client is an app client created at run time; so these routes get a
 * Lambda authorizer (payload 2.0, simple responses) that verifies the token against the pool's
 * JWKS: a person's from the web client, a machine's from any app client of the pool. The
 * handler still decides which machine clients are live. With an external OIDC issuer there is
 * no pool and no machine credentials (a Cognito feature): every route keeps the JWT authorizer.
 * Its role may write its logs and traces, nothing else: the JWKS is public.
 */
export class TokenAuthorizer extends Construct {
  readonly function: BillingFunction;
  readonly authorizer: HttpLambdaAuthorizer;

  constructor(scope: Construct, id: string, props: TokenAuthorizerProps) {
    super(scope, id);
    this.function = new BillingFunction(this, 'Function', {
      entry: TOKEN_AUTHORIZER_ENTRY,
      description: "Token authorizer of the routes that take machine tokens: verifies the user pool's JWTs (people: the web client; machines: any app client)",
      logKey: props.logKey,
      environment: {
        ...claimEnvironment(props.claims),
        [ENV.userPoolId]: props.userPool.userPoolId,
        [ENV.webClientId]: props.webClient.userPoolClientId,
      },
    });
    this.authorizer = new HttpLambdaAuthorizer('TokenAuthorizer', this.function.handler, {
      responseTypes: [HttpLambdaResponseType.SIMPLE],
      identitySource: ['$request.header.Authorization'],
      resultsCacheTtl: TOKEN_AUTHORIZER_CACHE_TTL,
    });
  }
}
