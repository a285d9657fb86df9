import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { type IPolicyValidationContext, type IPolicyValidationPlugin, type PolicyValidationPluginReport, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import * as z from 'zod';

const packageJson = createRequire(import.meta.url).resolve('@cdklabs/cdk-validator-cfnguard/package.json');
const RULES_DIR = join(dirname(packageJson), 'rules', 'control-tower', 'cfn-guard');

/** A bundled rule file and the resource types its header says it reports on (`null`: no header). */
interface RuleFile {
  readonly path: string;
  readonly reportsOn: readonly string[] | null;
}

/** Every Control Tower rule file shipped with the validator, with what it reports on. */
export const controlTowerRuleFiles = (): RuleFile[] =>
  readdirSync(RULES_DIR, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.guard'))
    .map((entry) => {
      const path = join(entry.parentPath, entry.name);
      const header = /^# Reports on:\n((?:#[^\n]*AWS::[^\n]*\n)+)/m.exec(readFileSync(path, 'utf8'));
      return { path, reportsOn: header?.[1] ? (header[1].match(/AWS::\w+::\w+/g) ?? []) : null };
    });

const templateSchema = z.object({ Resources: z.record(z.string(), z.object({ Type: z.string() })).default({}) });

/**
 * AWS Control Tower's proactive controls, the cfn-guard rules that ship (with the cfn-guard
 * binary) in `@cdklabs/cdk-validator-cfnguard`, run on every synthesized template. Only the
 * rules that report on a resource type the templates contain are handed to cfn-guard: the
 * others could only answer SKIP, and evaluating all 237 takes cfn-guard ten seconds on this
 * stack. A finding is acknowledged at its construct with `acknowledgeControl`, with a reason.
 */
export class ControlTowerChecks implements IPolicyValidationPlugin {
  readonly name = 'ControlTower';
  private readonly rules = controlTowerRuleFiles();

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const present = new Set(
      context.templatePaths.flatMap((path) =>
        Object.values(templateSchema.parse(JSON.parse(readFileSync(path, 'utf8'))).Resources).map((r) => r.Type),
      ),
    );
    const rules = this.rules.filter((r) => r.reportsOn === null || r.reportsOn.some((type) => present.has(type))).map((r) => r.path);
    if (rules.length === 0) return { success: true, violations: [] };
    // cfn-guard's structured JSON lists every rule's checks: well past Node's default 1 MB buffer.
    const report = new CfnGuardValidator({ controlTowerRulesEnabled: false, rules, maxBuffer: 64 * 1024 * 1024 }).validate(context);
    // Once some findings are acknowledged, CDK fails synthesis only on the rest that say they
    // are errors; the validator's findings say nothing, which would let them all pass.
    return { ...report, violations: report.violations.map((violation) => ({ ...violation, severity: 'error' })) };
  }
}

/** The cfn-guard rule behind each control this stack acknowledges somewhere. */
const CONTROLS = {
  'CT.APIGATEWAY.PR.5': 'api_gw_v2_authorization_type_configured_check',
  'CT.CLOUDFRONT.PR.4': 'cloudfront_origin_failover_enabled_check',
  'CT.CLOUDFRONT.PR.6': 'cloudfront_custom_ssl_certificate_check',
  'CT.CLOUDFRONT.PR.7': 'cloudfront_sni_enabled_check',
  'CT.CLOUDFRONT.PR.9': 'cloudfront_security_policy_check',
  'CT.CLOUDWATCH.PR.2': 'cloudwatch_log_group_retention_period_check',
  'CT.LAMBDA.PR.2': 'lambda_function_public_access_prohibited_check',
  'CT.LAMBDA.PR.3': 'lambda_inside_vpc_check',
  'CT.S3.PR.2': 's3_bucket_logging_enabled_check',
  'CT.S3.PR.4': 's3_event_notifications_enabled_check',
  'CT.S3.PR.9': 's3_bucket_object_lock_enabled_check',
  'CT.S3.PR.10': 's3_bucket_default_encryption_kms_check',
} as const;

export type ControlId = keyof typeof CONTROLS;

/**
 * Acknowledges a Control Tower control's finding on `scope` and everything under it, with
 * the reason it does not apply there (as cdk-nag findings are acknowledged).
 *
 * @example
 * acknowledgeControl(fn, 'CT.LAMBDA.PR.3', 'Talks to DynamoDB and Stripe only; no VPC resource to reach.');
 */
export const acknowledgeControl = (scope: IConstruct, control: ControlId, reason: string): void =>
  Validations.of(scope).acknowledge({ id: `ControlTower::${CONTROLS[control]}`, reason: `${control}: ${reason}` });
