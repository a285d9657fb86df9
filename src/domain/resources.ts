/**
 * The metered resources. Gauges report a level (a period bills its peak); counters report an
 * increment (a period bills the sum).
 */
export const RESOURCES = ['users', 'devices', 'storage_gb', 'api_calls', 'alerts'] as const;
export type Resource = (typeof RESOURCES)[number];

export const GAUGES: readonly Resource[] = ['users', 'devices', 'storage_gb'];
export const COUNTERS: readonly Resource[] = ['api_calls', 'alerts'];

export const isGauge = (resource: Resource): boolean => GAUGES.includes(resource);
