import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import * as z from 'zod';
import { ENV } from '../../contracts/environment';
import { lambdaAuthorizer } from '../../src/http/authorizer';
import { cognitoTokenVerifier } from '../../src/http/cognito-verifier';
import { claimsRead } from '../../src/http/principal';
import { authConfig, configSection } from '../../src/platform/config';
import { perEnvironment } from '../../src/platform/environment';
import { logger } from '../../src/platform/logger';

/** The pool whose tokens are verified and the web app client; the stack sets both. */
const identityConfig = configSection(
  z.object({
    [ENV.userPoolId]: z.string().regex(/^(?:eusc-[a-z]{2}|[a-z]{2})-(?:gov-)?[a-z]+-\d_[0-9A-Za-z]+$/, 'a Cognito user pool id such as eu-west-1_AbCdEf123'),
    [ENV.webClientId]: z.string().min(1),
  }),
);

// Built at the first request and kept for the container: the verifier holds the pool's JWKS.
const verifier = perEnvironment(() => cognitoTokenVerifier(identityConfig()[ENV.userPoolId]));
const rules = perEnvironment(() => ({ webClientId: identityConfig()[ENV.webClientId], claims: claimsRead(authConfig()) }));

export const handler = middy(lambdaAuthorizer({ verifier, rules, logger })).use(injectLambdaContext(logger, { resetKeys: true }));
