"""Playing a recording (or a trace file, in time) back like a video.

    clock.py     the replay clock, sans-I/O: play, pause, seek, speed, loop, on an injected time
    start.py     --start: an offset or a wall-clock time → a position in the recording
    marks.py     where the timeline marks errors, new services and source outages
    player.py    drives a hub's store and statuses from a recording as its clock runs
    from_file.py a trace file's spans as a recording that delivers them at their start times
"""
