namespace FastGate.Core.Transport.Epoll;

/// <summary>
/// One direction of a <see cref="SpliceRelay"/>: source socket to pipe, pipe to sink socket, each a
/// splice(2) that moves page references inside the kernel. It reads only into an empty pipe and
/// empties the pipe before reading again, so it waits on one thing at a time: the source turning
/// readable (pipe empty, given back to the pool) or the sink turning writable (bytes in the pipe,
/// which holds back the source as a full TCP buffer would). Loop thread only.
/// </summary>
internal sealed unsafe class SpliceDirection(ISpliceRelayOwner owner, bool fromFirst, int source, int sink)
{
    private const uint Flags = Libc.SPLICE_F_MOVE | Libc.SPLICE_F_NONBLOCK;

    private int _pipeRead = -1;
    private int _pipeWrite = -1;
    // Bytes in the pipe, not yet taken by the sink.
    private int _inPipe;
    // The source sent its FIN: once the pipe is empty, the sink gets one too.
    private bool _sourceEnded;
    private bool _done;

    /// <summary>Moves bytes until the source is drained or the sink is full, or the direction ends.</summary>
    public void Run()
    {
        while (!_done)
        {
            if (_inPipe > 0)
            {
                var sent = Libc.Splice(_pipeRead, null, sink, null, (nuint)_inPipe, Flags);
                if (sent > 0)
                {
                    _inPipe -= (int)sent;
                    owner.OnForwarded(fromFirst, (int)sent);
                    continue;
                }
                if (sent < 0 && Libc.Errno == Libc.EAGAIN)
                {
                    // The sink's buffer is full: its EPOLLOUT runs this again.
                    return;
                }
                End(clean: false);
                return;
            }
            if (_sourceEnded)
            {
                ReleasePipe();
                // Errors are ignored: a sink already gone shows on the other direction.
                Libc.Shutdown(sink, Libc.SHUT_WR);
                End(clean: true);
                return;
            }
            if (_pipeRead < 0 && !SplicePipePool.Current.TryRent(out _pipeRead, out _pipeWrite))
            {
                End(clean: false);
                return;
            }
            var received = Libc.Splice(source, null, _pipeWrite, null, SplicePipePool.PipeCapacity, Flags);
            if (received > 0)
            {
                _inPipe = (int)received;
                continue;
            }
            if (received == 0)
            {
                _sourceEnded = true;
                continue;
            }
            if (Libc.Errno == Libc.EAGAIN)
            {
                // Drained (the pipe was empty, so the wait is on the socket): the pipe goes back
                // until the source's next EPOLLIN.
                ReleasePipe();
                return;
            }
            End(clean: false);
            return;
        }
    }

    /// <summary>
    /// The sink has room: only a direction holding bytes for it was waiting on that. (epoll
    /// reports the socket writable with every event of it, most often when it is only readable.)
    /// </summary>
    public void OnSinkWritable()
    {
        if (_inPipe > 0)
        {
            Run();
        }
    }

    /// <summary>Ends the direction without telling the owner (it is closing the relay); false when it had ended already.</summary>
    public bool Stop()
    {
        if (_done)
        {
            return false;
        }
        _done = true;
        ReleasePipe();
        return true;
    }

    private void End(bool clean)
    {
        Stop();
        owner.OnDirectionEnded(clean);
    }

    private void ReleasePipe()
    {
        if (_pipeRead < 0)
        {
            return;
        }
        if (_inPipe == 0)
        {
            SplicePipePool.Current.Return(_pipeRead, _pipeWrite);
        }
        else
        {
            // Bytes nobody will take: the pipe cannot serve another direction.
            SplicePipePool.Close(_pipeRead, _pipeWrite);
            _inPipe = 0;
        }
        _pipeRead = _pipeWrite = -1;
    }
}
