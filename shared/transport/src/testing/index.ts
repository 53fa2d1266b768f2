export { describeBusConformance, type MakeBus } from './conformance.js';
