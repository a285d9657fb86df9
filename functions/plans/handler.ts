import { plansView } from '../../src/domain/catalog';
import { createApiHandler, operation } from '../../src/http/api';

const view = plansView();

export const listPlans = operation({}, async () => ({ status: 200, body: view }));

export const handler = createApiHandler('plans', { listPlans });
