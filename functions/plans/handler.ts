import { plansView } from '../shared/domain/catalog';
import { createApiHandler, operation } from '../shared/http/api';

const view = plansView();

export const listPlans = operation({}, async () => ({ status: 200, body: view }));

export const handler = createApiHandler('plans', { listPlans });
