export { EXIT } from './output.js';
