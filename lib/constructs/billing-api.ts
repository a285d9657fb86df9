import { Duration, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpRoute,
  HttpRouteKey,
  HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledgeControl } from '../control-tower';
import { API_PREFIX, type Route, type RouteAuth, routeKey, takesMachineTokens } from '../../contracts/routes';

export interface BillingApiProps {
  /** `group` names a key of `functions`. */
  readonly routes: readonly Route[];
  /** The Lambda of each function group, by group name. */
  readonly functions: ReadonlyMap<string, IFunction>;
  /** Verifies the JWT on `tenant` and `admin` routes... */
  readonly authorizer: IHttpRouteAuthorizer;
  /**
   * ...except on the routes that take machine tokens (`takesMachineTokens`), when given: the
   * Lambda authorizer (`TokenAuthorizer`). Without it (an external issuer) they keep `authorizer`.
   */
  readonly tokenAuthorizer?: IHttpRouteAuthorizer;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Browser origins allowed to call the API; none means no CORS answer at all. */
  readonly corsOrigins: readonly string[];
  /** Encrypts the access logs (`OperationsKey`). */
  readonly logKey: IKey;
}

/**
 * Which routes go without a JWT, and why; the reason acknowledges cdk-nag's APIG4 and Control
 * Tower's CT.APIGATEWAY.PR.5 findings on that route. A new kind of auth in contracts/routes.ts does not compile until it is decided here.
 */
const withoutJwt: Record<RouteAuth, string | null> = {
  tenant: null,
  admin: null,
  public: 'declared public in contracts/routes.ts (SPEC section 7: anyone, no token); it serves no tenant data.',
  stripe: 'called by Stripe, which cannot present our JWT; the handler verifies the Stripe-Signature header over the raw body first.',
};

/** One JSON line per request: enough to trace a disputed call without logging bodies or tokens. */
const accessLogFormat = AccessLogFormat.custom(
  JSON.stringify({
    requestId: '$context.requestId',
    requestTime: '$context.requestTime',
    ip: '$context.identity.sourceIp',
    userAgent: '$context.identity.userAgent',
    routeKey: '$context.routeKey',
    status: '$context.status',
    responseLength: '$context.responseLength',
    latencyMs: '$context.responseLatency',
    integrationLatencyMs: '$context.integrationLatency',
    integrationError: '$context.integrationErrorMessage',
    authorizerError: '$context.authorizer.error',
    subject: '$context.authorizer.claims.sub',
    // The token authorizer's routes: its context's `sub` (a person, or an API client's client id).
    tokenSubject: '$context.authorizer.sub',
  }),
);

/**
 * The HTTP API, built from the route table: one route per entry, each to its group's Lambda,
 * with the JWT authorizer unless the route is `public` or `stripe`, or takes machine tokens (the
 * token authorizer). The API's default authorizer is the JWT one, so a route only goes without a
 * token by saying so.
 */
export class BillingApi extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  readonly routes: HttpRoute[];

  constructor(scope: Construct, id: string, props: BillingApiProps) {
    super(scope, id);
    const methods = [...new Set(props.routes.map((r) => r.method))];
    this.httpApi = new HttpApi(this, 'HttpApi', {
      apiName: 'securenet-billing',
      description: `SecureNet Billing API (${API_PREFIX})`,
      createDefaultStage: false,
      defaultAuthorizer: props.authorizer,
      corsPreflight:
        props.corsOrigins.length === 0
          ? undefined
          : {
              allowOrigins: [...props.corsOrigins],
              allowMethods: [...methods.map((m) => CorsHttpMethod[m]), CorsHttpMethod.OPTIONS],
              allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
              exposeHeaders: ['retry-after', 'x-next-cursor'],
              maxAge: Duration.hours(1),
            },
    });

    // Six months: longer than Stripe's 120-day dispute window, so a contested charge can be traced.
    this.accessLogs = new LogGroup(this, 'AccessLogs', { retention: RetentionDays.SIX_MONTHS, encryptionKey: props.logKey });
    acknowledgeControl(
      this.accessLogs,
      'CT.CLOUDWATCH.PR.2',
      "Access logs hold client IP addresses; six months outlasts Stripe's 120-day dispute window, the longest any billing question needs them.",
    );
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      accessLogSettings: { destination: new LogGroupLogDestination(this.accessLogs), format: accessLogFormat },
    });

    const integrations = new Map<string, HttpLambdaIntegration>();
    const integrationFor = (group: string): HttpLambdaIntegration => {
      const existing = integrations.get(group);
      if (existing) return existing;
      const fn = props.functions.get(group);
      if (!fn) throw new Error(`route table names function group "${group}", which has no function`);
      const integration = new HttpLambdaIntegration(`${group}-integration`, fn);
      integrations.set(group, integration);
      return integration;
    };
    const none = new HttpNoneAuthorizer();

    this.routes = props.routes.map((route) => {
      const reason = withoutJwt[route.auth];
      const httpRoute = new HttpRoute(this, routeKey(route).replace(/\W+/g, '-'), {
        httpApi: this.httpApi,
        routeKey: HttpRouteKey.with(`${API_PREFIX}${route.path}`, HttpMethod[route.method]),
        integration: integrationFor(route.group),
        authorizer: reason !== null ? none : props.tokenAuthorizer && takesMachineTokens(route) ? props.tokenAuthorizer : props.authorizer,
      });
      if (reason !== null) {
        Validations.of(httpRoute).acknowledge({ id: 'AwsSolutions::AwsSolutions-APIG4', reason: `${routeKey(route)} is ${reason}` });
        acknowledgeControl(httpRoute, 'CT.APIGATEWAY.PR.5', `${routeKey(route)} is ${reason}`);
      }
      return httpRoute;
    });
    // The integrations' invoke permissions (CT.LAMBDA.PR.2), acknowledged for this API only.
    acknowledgeControl(
      this,
      'CT.LAMBDA.PR.2',
      "Each permission names the apigateway.amazonaws.com principal and a SourceArn of this API's own route (execute-api:<region>:<account>:<api-id>/*/*/<path>), or for the token authorizer this API's authorizer (<api-id>/authorizers/<id>); the rule accepts only a literal or a plain Ref there, not the Fn::Join that names the account and the API id.",
    );
  }

  /** Where the route table's paths start, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/api/billing`. */
  get url(): string {
    // The `$default` stage adds no path segment.
    return `${this.httpApi.apiEndpoint}${API_PREFIX}`;
  }
}
