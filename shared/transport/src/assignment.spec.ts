import { describe, expect, it } from 'vitest';
import { assignCoPartitioned } from './assignment.js';

const plain = (m: Map<string, Map<string, number[]>>): Record<string, Record<string, number[]>> =>
  Object.fromEntries([...m].map(([id, topics]) => [id, Object.fromEntries(topics)]));

describe('assignCoPartitioned', () => {
  it('gives each member the same partition numbers of every topic', () => {
    const topics = ['obs.camera', 'obs.lidar', 'obs.motion'];
    const counts = new Map(topics.map((t) => [t, 4]));
    const assignment = assignCoPartitioned(
      [
        { memberId: 'fusion-b', topics },
        { memberId: 'fusion-a', topics },
      ],
      counts,
    );
    expect(plain(assignment)).toEqual({
      'fusion-a': { 'obs.camera': [0, 2], 'obs.lidar': [0, 2], 'obs.motion': [0, 2] },
      'fusion-b': { 'obs.camera': [1, 3], 'obs.lidar': [1, 3], 'obs.motion': [1, 3] },
    });
  });

  it('leaves a member without partitions when there are more members than partitions', () => {
    const assignment = assignCoPartitioned(
      [
        { memberId: 'a', topics: ['t'] },
        { memberId: 'b', topics: ['t'] },
        { memberId: 'c', topics: ['t'] },
      ],
      new Map([['t', 2]]),
    );
    expect(plain(assignment)).toEqual({ a: { t: [0] }, b: { t: [1] }, c: {} });
  });

  it('only assigns a topic to the members that subscribe to it', () => {
    const assignment = assignCoPartitioned(
      [
        { memberId: 'a', topics: ['x', 'y'] },
        { memberId: 'b', topics: ['x'] },
      ],
      new Map([
        ['x', 2],
        ['y', 2],
      ]),
    );
    expect(plain(assignment)).toEqual({ a: { x: [0], y: [0, 1] }, b: { x: [1] } });
  });
});
