# Helper process that starts step processes with posix_spawn and relays their output. glibc's
# posix_spawn uses vfork semantics, so a start costs the same whatever the size of the caller,
# and well under what fork() from a Node process costs (measured here: sh -c 'echo hi' in
# ~2.4 ms against ~6-10 ms through child_process.spawn). The Node side (spawner-launcher.ts)
# keeps each pid and signals process groups itself.
#
# Frames on stdin and stdout: u32 length (big-endian) of the rest, u8 kind, u32 launch id, payload.
#   in:  b'L' JSON {command, args, cwd, env}
#   out: b'S' u32 pid | b'O' / b'E' output bytes | b'X' JSON {code, signal}
#        b'F' JSON {message, code}: the launch never started (code: an errno name)
# Lifecycle rules match the Node helper: b'X' is sent once the process exited and both pipes
# closed; pipes still open `drain_ms` after the exit get the group SIGKILLed and are dropped
# 500 ms later. End of stdin (the server is gone): every running group is SIGKILLed, then exit.
import errno
import json
import os
import selectors
import shutil
import signal
import struct
import sys
import time

DRAIN_S = (int(sys.argv[1]) if len(sys.argv) > 1 else 2000) / 1000
DROP_S = 0.5
CHUNK = 65536
HEADER = struct.Struct('>IcI')

sel = selectors.DefaultSelector()
runs = {}


class Run:
    def __init__(self, rid, pid, pidfd, pipes):
        self.rid = rid
        self.pid = pid
        self.pidfd = pidfd
        self.pipes = pipes  # fd -> b'O' | b'E'
        self.status = None
        self.drain_at = None
        self.drop_at = None


def send(kind, rid, payload=b''):
    # Blocking writes: when the server reads slowly, this helper stops reading the steps' pipes
    # and they block on their own output (backpressure end to end).
    view = memoryview(HEADER.pack(5 + len(payload), kind, rid) + payload)
    try:
        while view:
            view = view[os.write(1, view):]
    except BrokenPipeError:
        shutdown()


def kill_group(pid, sig):
    try:
        os.killpg(pid, sig)
    except OSError:
        pass  # the group is already gone


def shutdown():
    for run in runs.values():
        kill_group(run.pid, signal.SIGKILL)
    os._exit(0)


def fail(rid, message, code):
    send(b'F', rid, json.dumps({'message': message, 'code': code}).encode())


def resolve(command, path_var):
    if '/' in command:
        return command
    return shutil.which(command, path=path_var)


def launch(rid, spec):
    command = spec['command']
    env = spec['env']
    try:
        # posix_spawn has no portable chdir action; this helper runs one thing at a time.
        os.chdir(spec['cwd'])
    except OSError as e:
        return fail(rid, f"spawn {command} {errno.errorcode.get(e.errno, 'EIO')}",
                    errno.errorcode.get(e.errno, 'EIO'))
    path = resolve(command, env.get('PATH', os.defpath))
    if path is None:
        return fail(rid, f'spawn {command} ENOENT', 'ENOENT')
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    try:
        pid = os.posix_spawn(path, [command, *spec['args']], env, setsid=True, file_actions=[
            (os.POSIX_SPAWN_OPEN, 0, '/dev/null', os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, out_w, 1),
            (os.POSIX_SPAWN_DUP2, err_w, 2),
        ])
    except OSError as e:
        os.close(out_r)
        os.close(err_r)
        code = errno.errorcode.get(e.errno, 'EIO')
        return fail(rid, f'spawn {command} {code}', code)
    finally:
        os.close(out_w)
        os.close(err_w)
    pidfd = os.pidfd_open(pid)
    run = Run(rid, pid, pidfd, {out_r: b'O', err_r: b'E'})
    runs[rid] = run
    send(b'S', rid, struct.pack('>I', pid))
    sel.register(out_r, selectors.EVENT_READ, (run, out_r))
    sel.register(err_r, selectors.EVENT_READ, (run, err_r))
    sel.register(pidfd, selectors.EVENT_READ, (run, None))


def close_pipe(run, fd):
    sel.unregister(fd)
    os.close(fd)
    del run.pipes[fd]


def maybe_finish(run):
    if run.status is None or run.pipes:
        return
    del runs[run.rid]
    st = run.status
    if os.WIFSIGNALED(st):
        sig = os.WTERMSIG(st)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = f'SIG{sig}'
        result = {'code': None, 'signal': name}
    else:
        result = {'code': os.waitstatus_to_exitcode(st), 'signal': None}
    send(b'X', run.rid, json.dumps(result).encode())


def on_exit(run):
    if run.status is not None:
        return  # a stale event for a descriptor handled earlier in this round
    sel.unregister(run.pidfd)
    os.close(run.pidfd)
    _, run.status = os.waitpid(run.pid, 0)
    if run.pipes:
        run.drain_at = time.monotonic() + DRAIN_S
    maybe_finish(run)


def on_output(run, fd):
    if fd not in run.pipes:
        return  # closed earlier in this round (its number may be reused already)
    try:
        data = os.read(fd, CHUNK)
    except OSError:
        data = b''
    if data:
        send(run.pipes[fd], run.rid, data)
    else:
        close_pipe(run, fd)
        maybe_finish(run)


def on_timers(now):
    for run in list(runs.values()):
        if run.drain_at is not None and now >= run.drain_at:
            run.drain_at = None
            kill_group(run.pid, signal.SIGKILL)
            run.drop_at = now + DROP_S
        elif run.drop_at is not None and now >= run.drop_at:
            run.drop_at = None
            for fd in list(run.pipes):
                close_pipe(run, fd)
            maybe_finish(run)


def next_timeout():
    deadlines = [d for r in runs.values() for d in (r.drain_at, r.drop_at) if d is not None]
    return max(0.0, min(deadlines) - time.monotonic()) if deadlines else None


def main():
    inbox = bytearray()
    sel.register(0, selectors.EVENT_READ, None)
    while True:
        for key, _ in sel.select(next_timeout()):
            if key.data is None:
                data = os.read(0, CHUNK)
                if not data:
                    shutdown()
                inbox += data
                while len(inbox) >= 4:
                    (size,) = struct.unpack_from('>I', inbox)
                    if len(inbox) < 4 + size:
                        break
                    kind, rid = struct.unpack_from('>cI', inbox, 4)
                    body = bytes(inbox[9:4 + size])
                    del inbox[:4 + size]
                    if kind == b'L':
                        launch(rid, json.loads(body))
            else:
                run, fd = key.data
                if fd is None:
                    on_exit(run)
                else:
                    on_output(run, fd)
        on_timers(time.monotonic())


if __name__ == '__main__':
    main()
