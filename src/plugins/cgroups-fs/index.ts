export { createCgroupScopes } from './cgroup-scopes.js';
