export { startDashboard } from './server.js';
export type { Dashboard, DashboardOptions } from './server.js';
export { PortInUseError, DashboardListenError, UnreadableScanError } from './errors.js';
export { DashboardState, HEALTH_TOPICS, TOPICS as DASHBOARD_TOPICS, VIEW_FRAME_ID } from './core/dashboard-state.js';
export type { DashboardStateOptions } from './core/dashboard-state.js';
export { downsampleScan } from './core/downsample.js';
export { BINARY_HEADER_BYTES, BinaryKind, decodeBinaryFrame, encodeBinaryHeader } from './core/protocol.js';
export type { BevObject, BevTrack, CameraBox, LatencyHistogram, StateMessage, StreamHealth, TruthBox } from './core/protocol.js';
