export * from './tars.js';
