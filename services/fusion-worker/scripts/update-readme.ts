// Regenerates the Parameters section of README.md from the config schema (src/config.spec.ts fails when it is stale).
import { readFileSync, writeFileSync } from 'node:fs';
import { describeConfig, replaceParametersSection } from '@sensorfuse/config';
import { FUSION_ENV_PREFIX, fusionConfigSchema } from '../src/config.js';

const file = new URL('../README.md', import.meta.url);
writeFileSync(file, replaceParametersSection(readFileSync(file, 'utf8'), describeConfig(fusionConfigSchema, { envPrefix: FUSION_ENV_PREFIX })));
