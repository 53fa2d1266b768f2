#!/usr/bin/python3
"""Peer for the approximate-time comparison test: Debian's python3-message-filters
ApproximateTimeSynchronizer run standalone (no ROS master).

stdin:  {"queueSize": int, "slopUs": int, "topics": int, "messages": [[topic, stampUs], ...]}
stdout: {"sets": [[stampUs per topic], ...]}
"""
import json
import sys

import message_filters
import rospy


class Header:
    def __init__(self, stamp):
        self.stamp = stamp


class Msg:
    def __init__(self, stamp_us):
        self.stamp_us = stamp_us
        self.header = Header(rospy.Time(stamp_us // 1_000_000, (stamp_us % 1_000_000) * 1000))


def main():
    rospy.rostime.set_rostime_initialized(True)
    request = json.load(sys.stdin)
    filters = [message_filters.SimpleFilter() for _ in range(request["topics"])]
    sync = message_filters.ApproximateTimeSynchronizer(
        filters, request["queueSize"], request["slopUs"] / 1e6
    )
    sets = []
    sync.registerCallback(lambda *msgs: sets.append([m.stamp_us for m in msgs]))
    for topic, stamp_us in request["messages"]:
        filters[topic].signalMessage(Msg(stamp_us))
    json.dump({"sets": sets}, sys.stdout)


if __name__ == "__main__":
    main()
