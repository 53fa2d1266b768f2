export { ensureInfra, parseBrokerList } from './ensure.js';
export type { EnsureInfraOptions, Infra } from './ensure.js';
export { startLocalKafka, startLocalRedis } from './local.js';
export type { LocalKafka, LocalKafkaOptions, LocalRedis, LocalRedisOptions, OnProcessExit } from './local.js';
export { freeLoopbackPort } from './ports.js';
export { InfraPortInUseError, InfraStartError, InfraToolMissingError } from './errors.js';
