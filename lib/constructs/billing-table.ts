import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { TableAccess } from '../../contracts/routes';
import { RATE_LIMIT_KEY_PREFIX, tableDefinition } from '../../contracts/table';

export type DataAccess = Exclude<TableAccess, 'none'>;

/**
 * Item-level actions only. No Scan (a tenant-facing function never needs the whole table) and
 * no table management. Transactions need no actions of their own: DynamoDB checks the Put,
 * Update, Delete and ConditionCheck permissions of each item in the transaction.
 */
const readActions = ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:ConditionCheckItem'];
const writeActions = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem'];

/** The single billing table, built from `tableDefinition` so the local runner's copy matches. */
export class BillingTable extends Construct {
  readonly table: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const key = (name: string) => ({ name, type: AttributeType.STRING });

    this.table = new Table(this, 'Resource', {
      partitionKey: key(tableDefinition.partitionKey),
      sortKey: key(tableDefinition.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: tableDefinition.ttlAttribute,
      encryption: TableEncryption.AWS_MANAGED,
      // Billing records are the business: keep them when the stack goes, and refuse a console delete.
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    });
    for (const index of tableDefinition.indexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: key(index.partitionKey),
        sortKey: key(index.sortKey),
        projectionType: ProjectionType.ALL,
      });
    }
  }

  get tableName(): string {
    return this.table.tableName;
  }

  /**
   * Lets a read-only function keep its tenants' rate-limit counters: `UpdateItem` only on items
   * whose partition key starts with the rate-limit prefix (IAM `dynamodb:LeadingKeys`).
   */
  grantRateLimitCounters(grantee: IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['dynamodb:UpdateItem'],
        resources: [this.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${RATE_LIMIT_KEY_PREFIX}*`] } },
      }),
    );
  }

  /**
   * Grants item access to the table and to each index of `tableDefinition`, named one by one
   * rather than as `index/*` so the policy holds no wildcard.
   */
  grantData(grantee: IGrantable, access: DataAccess): void {
    const indexArns = tableDefinition.indexes.map((index) => `${this.table.tableArn}/index/${index.name}`);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: readActions, resources: [this.table.tableArn, ...indexArns] }),
    );
    if (access === 'readwrite') {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({ actions: writeActions, resources: [this.table.tableArn] }),
      );
    }
  }
}
