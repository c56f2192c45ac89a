using System.Buffers;
using System.Net.Security;
using System.Text;
using FastGate.Core.Tests.Http1;
using FastGate.Core.Tls;

namespace FastGate.Core.Tests.Tls;

public class TlsClientHelloReaderTests
{
    public static TheoryData<string, string> Captured => new()
    {
        { "tls13-sni.bin", "a.example.com" },
        { "tls12-sni.bin", "www.example.org" },
        { "tls13-nosni.bin", "" },
        { "tls13-groups-sni.bin", "big.example.net" },
        { "tls13-fragmented-sni.bin", "frag.example.com" },
    };

    [Theory]
    [MemberData(nameof(Captured))]
    public void Read_CapturedHello_FindsServerName(string file, string expected)
    {
        var hello = Load(file);

        Assert.Equal(TlsClientHelloStatus.Found, Read(new ReadOnlySequence<byte>(hello), out var name, out _));
        Assert.Equal(expected, name);
    }

    [Theory]
    [MemberData(nameof(Captured))]
    public void Read_CapturedHelloSplitAtEveryByte_FindsSameName(string file, string expected)
    {
        var hello = Load(file);
        for (var cut = 1; cut < hello.Length; cut++)
        {
            var status = Read(Http1TestHelpers.Split(hello, cut), out var name, out var error);
            Assert.True(status == TlsClientHelloStatus.Found, $"cut at {cut}: {status} {error}");
            Assert.Equal(expected, name);
        }
    }

    [Theory]
    [MemberData(nameof(Captured))]
    public void Read_EveryPrefixOfCapturedHello_NeedsMore(string file, string expected)
    {
        _ = expected;
        var hello = Load(file);
        for (var length = 0; length < hello.Length; length++)
        {
            var status = Read(new ReadOnlySequence<byte>(hello, 0, length), out _, out var error);
            Assert.True(status == TlsClientHelloStatus.NeedMore, $"prefix of {length}: {status} {error}");
        }
    }

    [Theory]
    [MemberData(nameof(Captured))]
    public void Read_GrowingBufferWithScanState_NeedsMoreUntilTheLastByteThenFinds(string file, string expected)
    {
        var hello = Load(file);
        var state = default(TlsClientHelloScanState);
        Span<byte> serverName = stackalloc byte[TlsClientHelloReader.MaxServerNameLength];
        for (var length = 1; length < hello.Length; length++)
        {
            var pieces = hello[..length].Select(b => new[] { b }).ToArray();
            Assert.Equal(TlsClientHelloStatus.NeedMore, TlsClientHelloReader.Read(Http1TestHelpers.Sequence(pieces), ref state, serverName, out _, out _));
        }

        Assert.Equal(TlsClientHelloStatus.Found, TlsClientHelloReader.Read(new ReadOnlySequence<byte>(hello), ref state, serverName, out var nameLength, out _));
        Assert.Equal(expected, Encoding.ASCII.GetString(serverName[..nameLength]));
    }

    [Fact]
    public void Read_OneByteRecordsGrowingWithScanState_FindsServerName()
    {
        var records = Records(HandshakeMessage(Load("tls13-sni.bin")), 1);
        var state = default(TlsClientHelloScanState);
        Span<byte> serverName = stackalloc byte[TlsClientHelloReader.MaxServerNameLength];
        for (var length = 1; length < records.Length; length++)
        {
            Assert.Equal(TlsClientHelloStatus.NeedMore, TlsClientHelloReader.Read(new ReadOnlySequence<byte>(records, 0, length), ref state, serverName, out _, out _, maxBytes: 64 * 1024));
        }

        Assert.Equal(TlsClientHelloStatus.Found, TlsClientHelloReader.Read(new ReadOnlySequence<byte>(records), ref state, serverName, out var nameLength, out _, maxBytes: 64 * 1024));
        Assert.Equal("a.example.com", Encoding.ASCII.GetString(serverName[..nameLength]));
    }

    [Fact]
    public void Read_CapturedHelloInOneByteSegments_FindsServerName()
    {
        var hello = Load("tls13-fragmented-sni.bin");
        var pieces = hello.Select(b => new[] { b }).ToArray();

        Assert.Equal(TlsClientHelloStatus.Found, Read(Http1TestHelpers.Sequence(pieces), out var name, out _));
        Assert.Equal("frag.example.com", name);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(100)]
    public void Read_HelloFragmentedIntoSmallRecords_FindsServerName(int fragment)
    {
        var message = HandshakeMessage(Load("tls13-sni.bin"));
        var records = Records(message, fragment);

        Assert.Equal(TlsClientHelloStatus.Found, Read(new ReadOnlySequence<byte>(records), out var name, out _, maxBytes: 64 * 1024));
        Assert.Equal("a.example.com", name);
        for (var cut = 1; cut < records.Length; cut += 7)
        {
            Assert.Equal(TlsClientHelloStatus.Found, Read(Http1TestHelpers.Split(records, cut), out name, out _, maxBytes: 64 * 1024));
            Assert.Equal("a.example.com", name);
        }
    }

    [Fact]
    public async Task Read_SslStreamHello_FindsTargetHost()
    {
        var hello = await SslStreamHelloAsync("Service.Example.COM");

        Assert.Equal(TlsClientHelloStatus.Found, Read(new ReadOnlySequence<byte>(hello), out var name, out _));
        Assert.Equal("service.example.com", name);
    }

    [Fact]
    public void Read_BytesAfterHello_AreNotLookedAt()
    {
        var hello = Load("tls13-sni.bin").Concat("garbage after the hello"u8.ToArray()).ToArray();

        Assert.Equal(TlsClientHelloStatus.Found, Read(new ReadOnlySequence<byte>(hello), out var name, out _));
        Assert.Equal("a.example.com", name);
    }

    [Fact]
    public void Read_HelloWithoutExtensions_FoundWithoutName()
    {
        var records = Records(ClientHello(extensions: null));

        Assert.Equal(TlsClientHelloStatus.Found, Read(new ReadOnlySequence<byte>(records), out var name, out _));
        Assert.Equal("", name);
    }

    [Fact]
    public void Read_BuiltHelloWithTrailingDot_FindsNameWithoutDot()
    {
        var records = Records(ClientHello(ServerNameExtension("example.com.")));

        Assert.Equal(TlsClientHelloStatus.Found, Read(new ReadOnlySequence<byte>(records), out var name, out _));
        Assert.Equal("example.com", name);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n\r\n")]
    [InlineData("\u0080\u0001")]
    [InlineData("\u0017\u0003\u0003\u0000\u0010")]
    public void Read_NotTls_InvalidAtFirstByte(string text)
    {
        var bytes = Encoding.Latin1.GetBytes(text);

        Assert.Equal(TlsClientHelloStatus.Invalid, Read(new ReadOnlySequence<byte>(bytes, 0, 1), out _, out var error));
        Assert.Equal(TlsClientHelloError.NotHandshake, error);
    }

    [Fact]
    public void Read_RecordVersionNot3_UnsupportedVersion()
    {
        var hello = Load("tls13-sni.bin");
        hello[1] = 2;

        Assert.Equal(TlsClientHelloStatus.Invalid, Read(new ReadOnlySequence<byte>(hello, 0, 2), out _, out var error));
        Assert.Equal(TlsClientHelloError.UnsupportedVersion, error);
    }

    [Fact]
    public void Read_ClientHelloVersionNot3_UnsupportedVersion()
    {
        var hello = Load("tls13-sni.bin");
        hello[9] = 2;

        Assert.Equal(TlsClientHelloStatus.Invalid, Read(new ReadOnlySequence<byte>(hello), out _, out var error));
        Assert.Equal(TlsClientHelloError.UnsupportedVersion, error);
    }

    [Fact]
    public void Read_HandshakeNotClientHello_NotClientHello()
    {
        var hello = Load("tls13-sni.bin");
        hello[5] = 2;

        Assert.Equal(TlsClientHelloStatus.Invalid, Read(new ReadOnlySequence<byte>(hello, 0, 6), out _, out var error));
        Assert.Equal(TlsClientHelloError.NotClientHello, error);
    }

    [Fact]
    public void Read_ZeroLengthRecord_BadLength()
    {
        var records = new byte[] { 22, 3, 1, 0, 0 }.Concat(Load("tls13-sni.bin")).ToArray();

        Assert.Equal(TlsClientHelloStatus.Invalid, Read(new ReadOnlySequence<byte>(records), out _, out var error));
        Assert.Equal(TlsClientHelloError.BadLength, error);
    }

    [Fact]
    public void Read_ApplicationDataRecordBeforeHelloEnds_NotHandshake()
    {
        var records = Records(HandshakeMessage(Load("tls13-sni.bin")), 100);
        records[105] = 23;

        Assert.Equal(TlsClientHelloStatus.Invalid, Read(new ReadOnlySequence<byte>(records), out _, out var error));
        Assert.Equal(TlsClientHelloError.NotHandshake, error);
    }

    [Fact]
    public void Read_HandshakeLengthShorterThanContent_BadLength()
    {
        // The record and the handshake message both say one byte less: the extensions overrun.
        var message = HandshakeMessage(Load("tls13-sni.bin"));
        var shorter = message[..^1];
        var length = shorter.Length - 4;
        shorter[1] = (byte)(length >> 16);
        shorter[2] = (byte)(length >> 8);
        shorter[3] = (byte)length;

        Assert.Equal(TlsClientHelloStatus.Invalid, Read(new ReadOnlySequence<byte>(Records(shorter)), out _, out var error));
        Assert.Equal(TlsClientHelloError.BadLength, error);
    }

    [Fact]
    public void Read_ExtensionsLengthDisagrees_BadLength()
    {
        var extension = ServerNameExtension("a.example.com");
        var message = ClientHello(extension);
        // The extensions block length is the two bytes before the extension.
        var at = message.Length - extension.Length - 2;
        message[at + 1]++;

        Assert.Equal(TlsClientHelloStatus.Invalid, Read(new ReadOnlySequence<byte>(Records(message)), out _, out var error));
        Assert.Equal(TlsClientHelloError.BadLength, error);
    }

    [Fact]
    public void Read_ServerNameListLengthDisagrees_BadLength()
    {
        var extension = ServerNameExtension("a.example.com");
        extension[5]--;

        Assert.Equal(TlsClientHelloStatus.Invalid, Read(new ReadOnlySequence<byte>(Records(ClientHello(extension))), out _, out var error));
        Assert.Equal(TlsClientHelloError.BadLength, error);
    }

    [Fact]
    public void Read_TwoServerNameExtensions_Malformed()
    {
        var records = Records(ClientHello([.. ServerNameExtension("a.example.com"), .. ServerNameExtension("b.example.com")]));

        Assert.Equal(TlsClientHelloStatus.Invalid, Read(new ReadOnlySequence<byte>(records), out _, out var error));
        Assert.Equal(TlsClientHelloError.Malformed, error);
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("bad name.example.com")]
    [InlineData("a.example.com\0evil.com")]
    [InlineData("caf\u00e9.example.com")]
    public void Read_ServerNameNotAHostName_BadServerName(string host)
    {
        var records = Records(ClientHello(ServerNameExtension(host)));

        Assert.Equal(TlsClientHelloStatus.Invalid, Read(new ReadOnlySequence<byte>(records), out _, out var error));
        Assert.Equal(TlsClientHelloError.BadServerName, error);
    }

    [Fact]
    public void Read_ServerNameLongerThan255_BadServerName()
    {
        var records = Records(ClientHello(ServerNameExtension(new string('a', 256))));

        Assert.Equal(TlsClientHelloStatus.Invalid, Read(new ReadOnlySequence<byte>(records), out _, out var error));
        Assert.Equal(TlsClientHelloError.BadServerName, error);
    }

    [Fact]
    public void Read_DeclaredLengthOverCap_OversizedAtOnce()
    {
        // Only the record header and handshake header have arrived: the declared length decides.
        var header = new byte[] { 22, 3, 1, 0x40, 0x00, 1, 0x00, 0x80, 0x00 };

        Assert.Equal(TlsClientHelloStatus.Invalid, Read(new ReadOnlySequence<byte>(header), out _, out var error));
        Assert.Equal(TlsClientHelloError.Oversized, error);
    }

    [Fact]
    public void Read_HelloLargerThanCap_Oversized()
    {
        var padding = new byte[20 * 1024];
        var extension = new byte[] { 0, 21, (byte)(padding.Length >> 8), (byte)padding.Length }.Concat(padding).ToArray();
        var records = Records(ClientHello(extension), 16 * 1024);

        Assert.Equal(TlsClientHelloStatus.Invalid, Read(new ReadOnlySequence<byte>(records), out _, out var error));
        Assert.Equal(TlsClientHelloError.Oversized, error);
        Assert.Equal(TlsClientHelloStatus.Found, Read(new ReadOnlySequence<byte>(records), out _, out _, maxBytes: 64 * 1024));
    }

    [Fact]
    public void Read_TinyRecordsPastCap_Oversized()
    {
        // Each record carries one byte: the header overhead alone passes the cap before the message ends.
        var records = Records(HandshakeMessage(Load("tls13-sni.bin")), 1);

        Assert.Equal(TlsClientHelloStatus.Invalid, Read(new ReadOnlySequence<byte>(records), out _, out var error, maxBytes: 1024));
        Assert.Equal(TlsClientHelloError.Oversized, error);
    }

    [Fact]
    public void Read_TooFewCipherSuiteBytes_Malformed()
    {
        var records = Records(ClientHello(extensions: null, cipherSuites: [0x13]));

        Assert.Equal(TlsClientHelloStatus.Invalid, Read(new ReadOnlySequence<byte>(records), out _, out var error));
        Assert.Equal(TlsClientHelloError.Malformed, error);
    }

    private static TlsClientHelloStatus Read(in ReadOnlySequence<byte> buffer, out string name, out TlsClientHelloError error, int maxBytes = TlsClientHelloReader.DefaultMaxBytes)
    {
        Span<byte> serverName = stackalloc byte[TlsClientHelloReader.MaxServerNameLength];
        var status = TlsClientHelloReader.Read(buffer, serverName, out var length, out error, maxBytes);
        name = Encoding.ASCII.GetString(serverName[..length]);
        if (status != TlsClientHelloStatus.Invalid)
        {
            Assert.Equal(TlsClientHelloError.None, error);
        }
        return status;
    }

    private static byte[] Load(string file) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "TestData", "tls", file));

    /// <summary>The handshake message carried by a file's records, headers left out.</summary>
    private static byte[] HandshakeMessage(byte[] records)
    {
        var message = new List<byte>();
        for (var offset = 0; offset < records.Length;)
        {
            var length = (records[offset + 3] << 8) | records[offset + 4];
            message.AddRange(records.AsSpan(offset + 5, length).ToArray());
            offset += 5 + length;
        }
        return [.. message];
    }

    /// <summary>A handshake message in handshake records of at most <paramref name="fragment"/> bytes each.</summary>
    private static byte[] Records(byte[] message, int fragment = 16 * 1024)
    {
        var records = new List<byte>();
        for (var offset = 0; offset < message.Length; offset += fragment)
        {
            var length = Math.Min(fragment, message.Length - offset);
            records.AddRange([22, 3, 1, (byte)(length >> 8), (byte)length]);
            records.AddRange(message.AsSpan(offset, length).ToArray());
        }
        return [.. records];
    }

    /// <summary>A ClientHello handshake message (type and length included) with the given extension bytes, or none at all.</summary>
    private static byte[] ClientHello(byte[]? extensions, byte[]? cipherSuites = null)
    {
        var body = new List<byte> { 3, 3 };
        body.AddRange(new byte[32]);
        body.Add(0);
        cipherSuites ??= [0x13, 0x01];
        body.AddRange([(byte)(cipherSuites.Length >> 8), (byte)cipherSuites.Length]);
        body.AddRange(cipherSuites);
        body.AddRange([1, 0]);
        if (extensions is not null)
        {
            body.AddRange([(byte)(extensions.Length >> 8), (byte)extensions.Length]);
            body.AddRange(extensions);
        }
        var length = body.Count;
        return [1, (byte)(length >> 16), (byte)(length >> 8), (byte)length, .. body];
    }

    /// <summary>A server_name extension with one host_name entry (Latin-1 bytes of <paramref name="host"/>).</summary>
    private static byte[] ServerNameExtension(string host)
    {
        var name = Encoding.Latin1.GetBytes(host);
        var entry = new byte[] { 0, (byte)(name.Length >> 8), (byte)name.Length }.Concat(name).ToArray();
        var list = new byte[] { (byte)(entry.Length >> 8), (byte)entry.Length }.Concat(entry).ToArray();
        return new byte[] { 0, 0, (byte)(list.Length >> 8), (byte)list.Length }.Concat(list).ToArray();
    }

    /// <summary>The first flight of a real SslStream client, captured from a stream that ends before any answer.</summary>
    private static async Task<byte[]> SslStreamHelloAsync(string targetHost)
    {
        var capture = new CaptureStream();
        using var ssl = new SslStream(capture, leaveInnerStreamOpen: true, (_, _, _, _) => true);
        await Assert.ThrowsAnyAsync<Exception>(() => ssl.AuthenticateAsClientAsync(targetHost));
        return capture.Written.ToArray();
    }

    /// <summary>Keeps what is written; every read is the end of the stream.</summary>
    private sealed class CaptureStream : Stream
    {
        public MemoryStream Written { get; } = new();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => 0;
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => Written.Write(buffer, offset, count);
    }
}
