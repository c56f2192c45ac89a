using System.Globalization;

namespace FastGate.Tools.MockUpstream.Ai;

/// <summary>
/// What the model name of an upstream request asks the mock to do: <c>NAME+opt+opt...</c>
/// (<c>m+tokens-20+ttft-50+tools</c>). The name before the first <c>+</c> is only echoed back.
/// </summary>
internal sealed class MockModel
{
    private const int MaxTokens = 1_000_000;
    private const int MaxTtftMs = 60_000;

    public string Name { get; private init; } = "";
    /// <summary>429, 500 or 503: answered with that provider-shaped error; 0 otherwise.</summary>
    public int FailStatus { get; private init; }
    public bool Cut { get; private init; }
    public bool Garbage { get; private init; }
    public bool NoUsage { get; private init; }
    public bool Tools { get; private init; }
    public int TtftMs { get; private init; }
    /// <summary>Tokens per second; 0 means as fast as the connection takes them.</summary>
    public int TokensPerSecond { get; private init; }
    public int Tokens { get; private init; } = 16;
    public int Cached { get; private init; }
    public int Reasoning { get; private init; }

    public static bool TryParse(string model, out MockModel parsed, out string error)
    {
        var parts = model.Split('+');
        var name = parts[0];
        int fail = 0, ttft = 0, tps = 0, tokens = 16, cached = 0, reasoning = 0;
        bool cut = false, garbage = false, noUsage = false, tools = false;
        error = "";
        parsed = new MockModel();
        for (var i = 1; i < parts.Length; i++)
        {
            var option = parts[i];
            switch (option)
            {
                case "fail-429": fail = 429; break;
                case "fail-500": fail = 500; break;
                case "fail-503": fail = 503; break;
                case "cut": cut = true; break;
                case "garbage": garbage = true; break;
                case "nousage": noUsage = true; break;
                case "tools": tools = true; break;
                default:
                    var dash = option.LastIndexOf('-');
                    if (dash <= 0 || !int.TryParse(option.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                    {
                        error = $"unknown mock option '{option}' in model '{model}'";
                        return false;
                    }
                    switch (option[..dash])
                    {
                        case "ttft": ttft = Math.Min(n, MaxTtftMs); break;
                        case "tps": tps = n; break;
                        case "tokens": tokens = Math.Min(n, MaxTokens); break;
                        case "cached": cached = n; break;
                        case "reasoning": reasoning = n; break;
                        default:
                            error = $"unknown mock option '{option}' in model '{model}'";
                            return false;
                    }
                    break;
            }
        }
        parsed = new MockModel
        {
            Name = name, FailStatus = fail, Cut = cut, Garbage = garbage, NoUsage = noUsage, Tools = tools,
            TtftMs = ttft, TokensPerSecond = tps, Tokens = tokens, Cached = cached, Reasoning = reasoning,
        };
        return true;
    }
}
