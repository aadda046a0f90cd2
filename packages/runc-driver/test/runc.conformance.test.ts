import { conformance } from './conformance.js';

conformance('runc');
