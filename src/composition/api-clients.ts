import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { ApiClientRepository } from '../adapters/dynamodb/api-clients';
import { CognitoAppClients } from '../adapters/identity/cognito-app-clients';
import { SelfIssuedCredentials } from '../adapters/identity/self-issued';
import { ApiClients, MAX_API_CLIENTS_PER_TENANT } from '../app/api-clients/clients';
import { Conflict } from '../app/errors';
import type { CredentialIssuer } from '../app/ports/api-clients';
import { liveClock } from '../platform/clock';
import { apiClientConfig } from '../platform/config';
import { root } from './root';

/** The issuer the configuration names: Cognito in AWS, the local token endpoint's register locally. */
const credentialIssuer = (): CredentialIssuer =>
  root().shared('credentialIssuer', (): CredentialIssuer => {
    const cfg = apiClientConfig();
    if (cfg.API_CLIENT_ISSUER === 'cognito' && cfg.API_CLIENT_USER_POOL_ID) {
      return new CognitoAppClients(new CognitoIdentityProviderClient({ region: cfg.AWS_REGION }), cfg.API_CLIENT_USER_POOL_ID);
    }
    if (cfg.API_CLIENT_ISSUER === 'local') return new SelfIssuedCredentials();
    const none = async (): Promise<never> => {
      throw new Conflict('Machine credentials need the Cognito user pool; this deployment uses an external issuer');
    };
    return { create: none, remove: none };
  });

/** A tenant's API clients (machine credentials). */
export const apiClients = (): ApiClients =>
  root().shared(
    'apiClients',
    () =>
      new ApiClients({
        store: new ApiClientRepository(root().table(), { clientLimit: MAX_API_CLIENTS_PER_TENANT }),
        issuer: credentialIssuer,
        clock: liveClock,
      }),
  );
