/**
 * The storage suite against both back ends: SQLite in temporary files and the real
 * PostgreSQL (each test in a fresh schema with a random name, dropped afterwards).
 */
import { describe } from 'node:test';
import { postgresBackend, sqliteBackend } from './helpers.js';
import { storeSuite } from './suite.js';

for (const backend of [sqliteBackend(), postgresBackend()]) {
  describe(backend.name, () => storeSuite(backend));
}
