import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BillingStack, type BillingStackProps } from './billing-stack';
import { ControlTowerChecks } from './control-tower';

/**
 * The CDK app: the billing stack, checked by cdk-nag's AWS Solutions pack and by AWS Control
 * Tower's proactive controls (cfn-guard). Both are validation plugins: they run after
 * synthesis on the whole app, and any finding not acknowledged (with a reason, at its
 * construct) fails synthesis. Shared by `bin/app.ts` and the infrastructure tests so both
 * check the same thing.
 */
export const createBillingApp = (
  appProps?: AppProps,
  stackProps?: BillingStackProps,
): { app: App; stack: BillingStack } => {
  const app = new App(appProps);
  const stack = new BillingStack(app, 'SecureNetBilling', {
    description: 'SecureNet Billing: HTTP API, Lambdas, DynamoDB table, identity',
    ...stackProps,
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }), new ControlTowerChecks());
  return { app, stack };
};
