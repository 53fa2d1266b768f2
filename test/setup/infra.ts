// Placeholder replaced by the infrastructure work (issue 2): starts Kafka and Redis.
export default function setup(): void {}
