import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ControlTowerChecks, controlTowerRuleFiles } from '../../../lib/control-tower';

/** The plugin's context for one template written to disk. */
const contextFor = (template: unknown) => {
  const path = join(mkdtempSync(join(tmpdir(), 'control-tower-')), 'Test.template.json');
  writeFileSync(path, JSON.stringify(template));
  return { templatePaths: [path], stackTemplates: [], appConstruct: new Stack(new App(), 'Test') };
};

describe('ControlTowerChecks', () => {
  describe('controlTowerRuleFiles', () => {
    it('reads from every bundled rule the resource types it reports on, so none is skipped by mistake', () => {
      const rules = controlTowerRuleFiles();
      expect(rules.length).toBeGreaterThan(200);
      for (const rule of rules) {
        expect(rule.reportsOn, rule.path).not.toBeNull();
        expect(rule.reportsOn?.length, rule.path).toBeGreaterThan(0);
      }
      const apiRoutes = rules.find((r) => r.path.endsWith('ct-apigateway-pr-5.guard'));
      expect(apiRoutes?.reportsOn).toEqual(['AWS::ApiGatewayV2::Route', 'AWS::ApiGatewayV2::ApiGatewayManagedOverrides']);
    });
  });

  describe('validate', () => {
    it('reports a failing control on a resource of the template, with its control id', () => {
      const report = new ControlTowerChecks().validate(
        contextFor({ Resources: { Silent: { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'Errors', Threshold: 1 } } } }),
      );
      expect(report.success).toBe(false);
      expect(report.violations).toEqual([
        expect.objectContaining({
          ruleName: 'cloudwatch_alarm_action_check',
          description: expect.stringContaining('[CT.CLOUDWATCH.PR.1]'),
          violatingResources: [expect.objectContaining({ resourceLogicalId: 'Silent' })],
        }),
      ]);
    });

    it('succeeds without running cfn-guard when no rule reports on the template\'s resource types', () => {
      const report = new ControlTowerChecks().validate(contextFor({ Resources: { Nothing: { Type: 'AWS::CloudFormation::WaitConditionHandle' } } }));
      expect(report).toEqual({ success: true, violations: [] });
    });
  });
});
