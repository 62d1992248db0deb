export {
  type Dashboard,
  type DashboardOptions,
  startDashboard,
} from './dashboard/server.js';
export type { DashboardSnapshot } from './dashboard/snapshot.js';
export { EXIT } from './output.js';
