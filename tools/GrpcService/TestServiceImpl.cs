using Google.Protobuf;
using Grpc.Core;

namespace FastGate.Tools.GrpcService;

/// <summary>The test service: every RPC kind, with delays, failures and payloads a test asks for.</summary>
public sealed class TestServiceImpl : TestService.TestServiceBase
{
    public override async Task<EchoReply> Echo(EchoRequest request, ServerCallContext context)
    {
        if (request.DelayMs > 0)
        {
            await Task.Delay(request.DelayMs, context.CancellationToken);
        }
        return new EchoReply
        {
            Message = request.Message,
            Payload = request.Payload,
            PayloadBytes = request.Payload.Length,
            Deadline = context.Deadline == DateTime.MaxValue ? "none" : "set",
        };
    }

    public override Task<EchoReply> Fail(FailRequest request, ServerCallContext context) =>
        throw new RpcException(new Status((StatusCode)request.Code, request.Detail));

    public override async Task ServerStream(StreamRequest request, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
    {
        var payload = ByteString.CopyFrom(Pattern(request.PayloadBytes));
        for (var i = 0; i < request.Count; i++)
        {
            if (request.DelayMs > 0 && i > 0)
            {
                await Task.Delay(request.DelayMs, context.CancellationToken);
            }
            await responseStream.WriteAsync(new EchoReply { Message = request.Message, Index = i, Payload = payload, PayloadBytes = payload.Length });
        }
    }

    public override async Task<EchoReply> ClientStream(IAsyncStreamReader<EchoRequest> requestStream, ServerCallContext context)
    {
        var messages = new List<string>();
        long bytes = 0;
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            messages.Add(request.Message);
            bytes += request.Payload.Length;
        }
        return new EchoReply { Message = string.Join(",", messages), Index = messages.Count, PayloadBytes = bytes };
    }

    public override async Task Bidi(IAsyncStreamReader<EchoRequest> requestStream, IServerStreamWriter<EchoReply> responseStream, ServerCallContext context)
    {
        var index = 0;
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            await responseStream.WriteAsync(new EchoReply { Message = request.Message, Index = index++, Payload = request.Payload, PayloadBytes = request.Payload.Length });
        }
    }

    /// <summary>Bytes a receiver can check: i mod 251.</summary>
    public static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < length; i++)
        {
            bytes[i] = (byte)(i % 251);
        }
        return bytes;
    }
}
