import { plansView } from '../../src/domain/catalog';
import { apiHandler } from '../../src/composition/http';
import { operation } from '../../src/http/api';

const view = plansView();

export const listPlans = operation({}, async () => ({ status: 200, body: view }));

export const handler = apiHandler('plans', { listPlans });
