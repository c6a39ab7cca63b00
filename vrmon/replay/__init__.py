"""What `vrmon serve --replay` serves: a recording (or a trace file, in time) played back like a
video, or trace files loaded whole.

    clock.py     the replay clock, sans-I/O: play, pause, seek, speed, loop, on an injected time
    start.py     --start: an offset or a wall-clock time → a position in the recording
    marks.py     where the timeline marks errors, new services and source outages
    player.py    drives a hub's store and statuses from a recording as its clock runs
    from_file.py a trace file's spans as a recording that delivers them at their start times
    growing.py   a recording read a part at a time while it plays (its frame table first)
    loading.py   serves a recording at once, reads it on, and drives the players' clocks
    whole_files.py  trace files read whole, into the hub's store
    files_playback.py  trace files switched between whole and played in time while serving
    background.py   what both readers share: read after the server listens; viewers wait for it
"""
