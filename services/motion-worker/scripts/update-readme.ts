// Regenerates the Parameters section of README.md from the config schema (src/config.spec.ts fails when it is stale).
import { readFileSync, writeFileSync } from 'node:fs';
import { describeConfig, replaceParametersSection } from '@sensorfuse/config';
import { MOTION_ENV_PREFIX, motionConfigSchema } from '../src/config.js';

const file = new URL('../README.md', import.meta.url);
writeFileSync(file, replaceParametersSection(readFileSync(file, 'utf8'), describeConfig(motionConfigSchema, { envPrefix: MOTION_ENV_PREFIX })));
