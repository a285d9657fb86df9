import { createBillingApp } from '../lib/billing-app';

/** `npm run synth` / `cdk deploy`: settings come from cdk.json context and `-c key=value`. */
createBillingApp().app.synth();
