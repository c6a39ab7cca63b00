"""Recordings: what a server received, with its arrival time, kept in an append-only file and
played back later like a video. docs/recording.md describes the file format.

    format.py   frames ↔ bytes (sans-I/O), span batches ↔ msgpack columns
    writer.py   the Recorder: appends and flushes each frame before viewers see its data
    reader.py   reads a file back, skipping a torn last frame with a warning
    sink.py     the tee between a live source and the hub that records what passes
"""
