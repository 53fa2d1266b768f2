import kafkajs from 'kafkajs';
import type { PartitionAssigner } from 'kafkajs';
import { assignCoPartitioned } from './assignment.js';

const { AssignerProtocol } = kafkajs;

/** kafkajs PartitionAssigner running assignCoPartitioned: partition p of every topic → one member. */
export const coPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: 'SensorfuseCoPartitioned',
  version: 1,
  assign({ members, topics }) {
    const decoded = members.map((m) => ({
      memberId: m.memberId,
      topics: AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.topics ?? topics,
    }));
    const counts = new Map(topics.map((topic) => [topic, cluster.findTopicPartitionMetadata(topic).length]));
    const assignment = assignCoPartitioned(decoded, counts);
    return Promise.resolve(
      [...assignment].map(([memberId, perTopic]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 1,
          assignment: Object.fromEntries(perTopic),
          userData: Buffer.alloc(0),
        }),
      })),
    );
  },
  protocol({ topics }) {
    return {
      name: 'SensorfuseCoPartitioned',
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
    };
  },
});
