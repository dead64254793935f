"""cocotb/pyuvm tests run inside the simulator for every core (selected by the runner, never by pytest).

Each sequence runs twice: with random idle cycles and back-pressure, and without; the run without
stalls on the dataset also checks that the measured initiation interval equals the core's bound.
"""

import pyuvm

from edgebench.tb.uvm_env import (
    CornerCaseSequence,
    DatasetReplaySequence,
    FrameSequence,
    LongSequence,
    RandomVectorSequence,
    StreamTest,
)


@pyuvm.test()
class DatasetStreaming(StreamTest):
    SEQUENCE, STALLS, CHECK_II = DatasetReplaySequence, False, True


@pyuvm.test()
class DatasetStalls(StreamTest):
    SEQUENCE, STALLS = DatasetReplaySequence, True


@pyuvm.test()
class RandomStreaming(StreamTest):
    SEQUENCE, STALLS = RandomVectorSequence, False


@pyuvm.test()
class RandomStalls(StreamTest):
    SEQUENCE, STALLS = RandomVectorSequence, True


@pyuvm.test()
class CornerStreaming(StreamTest):
    SEQUENCE, STALLS = CornerCaseSequence, False


@pyuvm.test()
class CornerStalls(StreamTest):
    SEQUENCE, STALLS = CornerCaseSequence, True


@pyuvm.test()
class LongStalls(StreamTest):
    SEQUENCE, STALLS = LongSequence, True


@pyuvm.test()
class LongStreaming(StreamTest):
    SEQUENCE = LongSequence


@pyuvm.test()
class ResetMidStream(StreamTest):
    """Reset asserted once part-way through, under stalls: the results not yet taken are lost, the stream resumes
    with the first vector without one, and every result after the reset must match too."""

    SEQUENCE, STALLS, RESET_MID_STREAM, HDL_ONLY = DatasetReplaySequence, True, True, True


@pyuvm.test()
class FrameVariants(StreamTest):
    """Every framing the stream interface allows, under stalls: short frames (the unsent beats read as zero) and
    frames that end by their beat count without in_last, between plain ones."""

    SEQUENCE, STALLS, HDL_ONLY = FrameSequence, True, True
