// Lists in chunks gave way to buckets (./buckets.ts); parseDocument now lives in ./xml-document.ts.
// This module stays for the tests that still import it from here.
export { parseDocument } from './xml-document.js';
