/**
 * Co-partitioned assignment: partition number p of every topic a group reads goes to the same
 * member (the p-th, modulo the members subscribed to that topic, in member-id order). Topics of a
 * pipeline have equal partition counts and key = rigId, so one member owns all streams of a rig
 * (DESIGN.md, "Fusion instances own whole rigs"), also after a rebalance. For a group reading a
 * single topic this is plain round-robin. Used by MemoryBus and, as a kafkajs assigner, by KafkaBus.
 */
export interface AssignmentMember {
  readonly memberId: string;
  readonly topics: readonly string[];
}

/** memberId → topic → partitions, for every member (possibly with nothing assigned). */
export function assignCoPartitioned(
  members: readonly AssignmentMember[],
  partitionCounts: ReadonlyMap<string, number>,
): Map<string, Map<string, number[]>> {
  const sorted = [...members].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const result = new Map<string, Map<string, number[]>>(sorted.map((m) => [m.memberId, new Map()]));
  for (const [topic, count] of [...partitionCounts].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const candidates = sorted.filter((m) => m.topics.includes(topic));
    if (candidates.length === 0) continue;
    for (let partition = 0; partition < count; partition++) {
      const owner = candidates[partition % candidates.length];
      if (owner === undefined) continue;
      const perTopic = result.get(owner.memberId);
      if (perTopic === undefined) continue;
      const list = perTopic.get(topic) ?? [];
      list.push(partition);
      perTopic.set(topic, list);
    }
  }
  return result;
}
