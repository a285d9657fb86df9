import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../../contracts/environment';
import { routeKey, routeTable, takesMachineTokens, type RouteTable } from '../../../contracts/routes';
import { TOKEN_AUTHORIZER_CACHE_TTL } from '../../../lib/constructs/billing-identity';
import { everyKindTable, expectCleanSynthesis, lambdaOf, lambdas, routeByKey, statementsOf, synth, type Synthesized } from './synth';

/**
 * The Lambda authorizer of the routes that take machine tokens (tenant routes that declare
 * scopes): API Gateway's JWT authorizer cannot take the tokens of app clients created at run time.
 */

const AUTHORIZER_DESCRIPTION = /^Token authorizer of the routes that take machine tokens/;

const authorizerFunction = (template: Template) => {
  const found = lambdas(template).filter((fn) => AUTHORIZER_DESCRIPTION.test(fn.props.Description));
  expect(found).toHaveLength(1);
  const [fn] = found;
  if (!fn) throw new Error('no token authorizer function');
  return fn;
};

const authorizers = (template: Template) =>
  Object.entries(template.findResources('AWS::ApiGatewayV2::Authorizer')).map(([id, resource]) => ({
    id,
    props: (resource as { Properties: Record<string, unknown> }).Properties,
  }));

const authorizerOfType = (template: Template, type: 'JWT' | 'REQUEST') => {
  const found = authorizers(template).filter((a) => a.props.AuthorizerType === type);
  expect(found, type).toHaveLength(1);
  const [authorizer] = found;
  if (!authorizer) throw new Error(`no ${type} authorizer`);
  return authorizer;
};

describe('the token authorizer', () => {
  describe('with the route table and a Cognito user pool', () => {
    let synthesized: Synthesized;
    let template: Template;
    beforeAll(() => {
      synthesized = synth();
      template = synthesized.template;
    });

    it('puts it on the tenant routes that declare scopes, the JWT authorizer on the other tenant and admin routes, and none on public and Stripe routes', () => {
      const token = authorizerOfType(template, 'REQUEST').id;
      const jwt = authorizerOfType(template, 'JWT').id;
      expect(routeTable.routes.some((r) => r.scopes?.length)).toBe(true);
      for (const route of routeTable.routes) {
        const cfn = routeByKey(template, routeKey(route));
        if (route.auth === 'tenant' && (route.scopes ?? []).length > 0) {
          expect(cfn, routeKey(route)).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: { Ref: token } });
        } else if (route.auth === 'tenant' || route.auth === 'admin') {
          expect(cfn, routeKey(route)).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: jwt } });
        } else {
          expect(cfn.AuthorizationType, routeKey(route)).toBe('NONE');
          expect(cfn.AuthorizerId, routeKey(route)).toBeUndefined();
        }
      }
    });

    it('is a Lambda authorizer with payload 2.0 and simple responses, keyed on the Authorization header and cached five minutes', () => {
      const { props } = authorizerOfType(template, 'REQUEST');
      expect(props).toMatchObject({
        AuthorizerPayloadFormatVersion: '2.0',
        EnableSimpleResponses: true,
        IdentitySource: ['$request.header.Authorization'],
        AuthorizerResultTtlInSeconds: TOKEN_AUTHORIZER_CACHE_TTL.toSeconds(),
      });
      expect(TOKEN_AUTHORIZER_CACHE_TTL.toSeconds()).toBe(300);
      expect(JSON.stringify(props.AuthorizerUri)).toContain(`"${authorizerFunction(template).id}"`);
    });

    it('runs the handler in functions/authorizer on Node 22, arm64, told the pool, the web client and the claim names, and nothing else', () => {
      const { props } = authorizerFunction(template);
      const [poolId] = Object.keys(template.findResources('AWS::Cognito::UserPool'));
      const [clientId] = Object.keys(template.findResources('AWS::Cognito::UserPoolClient'));
      expect(props.Runtime).toBe('nodejs22.x');
      expect(props.Architectures).toEqual(['arm64']);
      expect(props.Environment.Variables).toEqual({
        [ENV.userPoolId]: { Ref: poolId },
        [ENV.webClientId]: { Ref: clientId },
        [ENV.tenantClaim]: 'custom:tenant_id',
        [ENV.groupsClaim]: 'cognito:groups',
        [ENV.adminGroup]: 'billing-admin',
        [ENV.serviceName]: 'securenet-billing',
        [ENV.nodeOptions]: '--enable-source-maps',
      });
    });

    it('may write its own logs and traces and nothing else: the JWKS it reads is public', () => {
      const actions = statementsOf(template, authorizerFunction(template).props.Description).flatMap((s) => s.Action);
      expect(actions.length).toBeGreaterThan(0);
      for (const action of actions) expect(action, action).toMatch(/^(logs|xray):/);
    });

    it('may be invoked by this API as its authorizer only', () => {
      const fnId = authorizerFunction(template).id;
      const token = authorizerOfType(template, 'REQUEST').id;
      const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter((p) =>
        JSON.stringify((p as { Properties: { FunctionName: unknown } }).Properties.FunctionName).includes(`"${fnId}"`),
      );
      expect(permissions).toHaveLength(1);
      const sourceArn = JSON.stringify((permissions[0] as { Properties: { SourceArn: unknown } }).Properties.SourceArn);
      expect(sourceArn).toContain('/authorizers/');
      expect(sourceArn).toContain(`{"Ref":"${token}"}`);
    });

    it('alarms on its errors: it fails only when it cannot verify at all', () => {
      const fn = synthesized.stack.tokenAuthorizer?.function;
      expect(fn).toBeDefined();
      expect(synthesized.stack.alarms).toContain(fn?.errorsAlarm);
    });

    it('passes cdk-nag AWS Solutions and Control Tower, and CDK warns of nothing', () => {
      expectCleanSynthesis(synthesized);
    });
  });

  describe('with an external OIDC issuer', () => {
    let template: Template;
    beforeAll(() => {
      template = synth({ context: { oidcIssuer: 'https://login.example.com/', oidcAudience: 'billing-api' } }).template;
    });

    it('is not built: machine credentials are a Cognito feature, so every route with a token keeps the JWT authorizer', () => {
      expect(authorizers(template).map((a) => a.props.AuthorizerType)).toEqual(['JWT']);
      expect(lambdas(template).filter((fn) => AUTHORIZER_DESCRIPTION.test(fn.props.Description))).toEqual([]);
      for (const route of routeTable.routes.filter((r) => r.auth === 'tenant' || r.auth === 'admin')) {
        expect(routeByKey(template, routeKey(route)).AuthorizationType, routeKey(route)).toBe('JWT');
      }
    });
  });

  describe('with a route table where no route declares scopes', () => {
    it('is not built', () => {
      const { template } = synth({ routeTable: everyKindTable });
      expect(authorizers(template).map((a) => a.props.AuthorizerType)).toEqual(['JWT']);
      expect(lambdas(template).filter((fn) => AUTHORIZER_DESCRIPTION.test(fn.props.Description))).toEqual([]);
      expect(lambdaOf(template, 'fixture: reader')).toBeDefined();
    });
  });

  describe('the rule for which routes take machine tokens', () => {
    const fixtures: RouteTable['routes'] = [
      { method: 'GET', path: '/a', group: 'g', operation: 'a', auth: 'tenant', scopes: ['billing/usage.read'] },
      { method: 'GET', path: '/b', group: 'g', operation: 'b', auth: 'tenant', scopes: [] },
      { method: 'GET', path: '/c', group: 'g', operation: 'c', auth: 'tenant' },
      { method: 'GET', path: '/d', group: 'g', operation: 'd', auth: 'admin', scopes: ['billing/usage.read'] },
      { method: 'GET', path: '/e', group: 'g', operation: 'e', auth: 'public', scopes: ['billing/usage.read'] },
    ];

    it('takes tenant routes that declare at least one scope, and nothing else', () => {
      expect(fixtures.map(takesMachineTokens)).toEqual([true, false, false, false, false]);
    });
  });
});
