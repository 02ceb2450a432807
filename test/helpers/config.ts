// The problems a configuration is refused with (a ConfigError's list), for config tests.
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/core/config/index.ts';

export function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.problems;
  }
  assert.fail('expected a ConfigError');
}
