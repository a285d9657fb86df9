import { randomBytes } from 'node:crypto';
import type { CredentialIssuer, IssuedCredential } from '../../app/ports/api-clients';
import { hashSecret } from '../../app/api-clients/secret-hash';

/**
 * Machine credentials for a token endpoint that checks secrets itself (the local stack's
 * `POST /oauth2/token`): a random client id and secret, and the secret's scrypt hash to store
 * in its place. Nothing to delete elsewhere: the revoked mapping is what the endpoint reads.
 */
export class SelfIssuedCredentials implements CredentialIssuer {
  async create(): Promise<IssuedCredential> {
    const clientSecret = randomBytes(32).toString('base64url');
    return { clientId: randomBytes(13).toString('hex'), clientSecret, secretHash: await hashSecret(clientSecret) };
  }

  async remove(): Promise<void> {}
}
