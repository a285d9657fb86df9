import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionGroups } from '../../../contracts/routes';
import { API_SCOPES, RESOURCE_SERVER_ID } from '../../../contracts/scopes';
import { lambdaOf, statementsOf, synth, type Synthesized } from './synth';

describe('BillingStack machine credentials', () => {
  let synthesized: Synthesized;
  beforeAll(() => {
    synthesized = synth({ context: { cognitoDomainPrefix: 'securenet-billing-test' } });
  });

  it('creates the billing resource server with every scope of contracts/scopes.ts', () => {
    synthesized.template.resourceCountIs('AWS::Cognito::UserPoolResourceServer', 1);
    const [server] = Object.values(synthesized.template.findResources('AWS::Cognito::UserPoolResourceServer'));
    expect(server?.Properties.Identifier).toBe(RESOURCE_SERVER_ID);
    const names = (server?.Properties.Scopes as { ScopeName: string }[]).map((s) => `${RESOURCE_SERVER_ID}/${s.ScopeName}`);
    expect(names.sort()).toEqual([...API_SCOPES].sort());
  });

  it('lets only the api-clients function create and delete app clients of the user pool, and tells it the pool', () => {
    const { description } = functionGroups['api-clients'];
    const env = lambdaOf(synthesized.template, description).props.Environment.Variables;
    expect(env.API_CLIENT_ISSUER).toBe('cognito');
    expect(env.API_CLIENT_USER_POOL_ID).toEqual({ Ref: expect.stringMatching(/^IdentityUserPool/) });
    const actions = statementsOf(synthesized.template, description).flatMap((s) => [s.Action].flat());
    expect(actions).toEqual(expect.arrayContaining(['cognito-idp:CreateUserPoolClient', 'cognito-idp:DeleteUserPoolClient']));
    for (const group of Object.values(functionGroups).filter((g) => g.description !== description)) {
      const others = statementsOf(synthesized.template, group.description).flatMap((s) => [s.Action].flat());
      expect(others.filter((a) => String(a).startsWith('cognito-idp:')), group.description).toEqual([]);
    }
  });

  it('outputs the token endpoint of the Cognito domain', () => {
    synthesized.template.hasOutput('TokenEndpoint', { Value: Match.objectLike({ 'Fn::Join': Match.anyValue() }) });
  });
});
