import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  DeleteUserPoolClientCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { MACHINE_TOKEN_MINUTES } from '../../../contracts/scopes';
import type { CredentialIssuer, IssuedCredential } from '../../app/ports/api-clients';

/** Cognito's app client names: at most 128 of `[\w\s+=,.@-]`. */
const clientName = (tenantId: string, name: string): string => `${tenantId} ${name}`.replace(/[^\w\s+=,.@-]/g, '-').slice(0, 128);

/**
 * Machine credentials as Cognito app clients of the stack's user pool: a generated secret, the
 * OAuth `client_credentials` grant only, the requested resource-server scopes, and 15-minute
 * access tokens. Cognito keeps the secret; we never see it again after creation.
 */
export class CognitoAppClients implements CredentialIssuer {
  constructor(
    private readonly cognito: CognitoIdentityProviderClient,
    private readonly userPoolId: string,
  ) {}

  async create(request: { tenantId: string; name: string; scopes: readonly string[] }): Promise<IssuedCredential> {
    const { UserPoolClient: client } = await this.cognito.send(
      new CreateUserPoolClientCommand({
        UserPoolId: this.userPoolId,
        ClientName: clientName(request.tenantId, request.name),
        GenerateSecret: true,
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthFlows: ['client_credentials'],
        AllowedOAuthScopes: [...request.scopes],
        AccessTokenValidity: MACHINE_TOKEN_MINUTES,
        TokenValidityUnits: { AccessToken: 'minutes' },
        EnableTokenRevocation: true,
      }),
    );
    if (!client?.ClientId || !client.ClientSecret) throw new Error('Cognito created an app client without an id or a secret');
    return { clientId: client.ClientId, clientSecret: client.ClientSecret };
  }

  async remove(clientId: string): Promise<void> {
    try {
      await this.cognito.send(new DeleteUserPoolClientCommand({ UserPoolId: this.userPoolId, ClientId: clientId }));
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return;
      throw error;
    }
  }
}
